BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:CertFolder = Join-Path $TestDrive 'cert'
    $script:Certificate = New-TestCertificate -Folder $script:CertFolder
    $script:Password = 'S3cret-Pa55word!'
    $script:SecurePassword = ConvertTo-SecureString $script:Password -AsPlainText -Force
    $script:GoodCredential = [pscredential]::new('mailer', $script:SecurePassword)
    $script:BadCredential = [pscredential]::new('mailer', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
    $script:Fast = @{ RetryIntervalSec = 0; TimeoutSec = 10 }
}

Describe 'SMTP over a clear-text connection' {
    BeforeAll { $script:Plain = Start-TestSmtpServer -Mode plain }
    AfterAll { $script:Plain | Stop-TestSmtpServer }

    It 'delivers with -Security None: envelope, headers and body arrive' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $result = Send-CompositeMail -Backend $smtp @Mail -Cc 'cc@example.com' -Bcc 'hidden@example.com'

        $result.Succeeded | Should -BeTrue
        $result.Results[0].Detail | Should -Match '^2\.0\.0 Ok: queued'
        $received = @(Get-TestSmtpMessage $Plain)[-1]
        $received.MailFrom | Should -Be 'ops@example.com'
        $received.RcptTo | Should -Be 'jane@example.com', 'cc@example.com', 'hidden@example.com'
        $received.Message.Subject | Should -Be 'Disk report'
        $received.Message.MessageId | Should -Be $result.MessageId
        $received.Raw | Should -Not -Match 'hidden@example\.com'
    }

    It 'refuses, by default, a server that offers no STARTTLS, and sends nothing' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port @Fast
        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'does not offer STARTTLS'
        $failures[0].CategoryInfo.Category | Should -Be 'SecurityError'
        @(Get-TestSmtpMessage $Plain).Count | Should -Be $before
    }

    It 'never sends a credential over clear text unless -Security None says so' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security StartTlsWhenAvailable -Credential $GoodCredential @Fast
        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'never sent in clear text'
        Get-TestSmtpEvent $Plain -Event auth | Should -BeNullOrEmpty
    }

    It 'delivers 200 messages in one invocation over a single connection' {
        $connectsBefore = Get-TestSmtpConnectionCount $Plain
        $messagesBefore = @(Get-TestSmtpMessage $Plain).Count
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -MaxMessagesPerConnection 1000
        $results = 1..200 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "Batch $_" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Body 'batch'

        @($results | Where-Object Succeeded).Count | Should -Be 200
        (Get-TestSmtpConnectionCount $Plain) - $connectsBefore | Should -Be 1
        @(Get-TestSmtpMessage $Plain).Count - $messagesBefore | Should -Be 200
    }

    It 'renews the connection after -MaxMessagesPerConnection messages (default 100)' {
        $connectsBefore = Get-TestSmtpConnectionCount $Plain
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $smtp.MaxMessagesPerConnection | Should -Be 100
        $results = 1..250 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Subject renew -Body b
        @($results | Where-Object Succeeded).Count | Should -Be 250
        (Get-TestSmtpConnectionCount $Plain) - $connectsBefore | Should -Be 3
    }

    It 'delivers over -ThrottleLimit connections at once, results in input order' {
        $connectsBefore = Get-TestSmtpConnectionCount $Plain
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $results = 1..80 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "Parallel $_" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -ThrottleLimit 4
        $results.Subject | Should -Be (1..80 | ForEach-Object { "Parallel $_" })
        @($results | Where-Object Succeeded).Count | Should -Be 80
        (Get-TestSmtpConnectionCount $Plain) - $connectsBefore | Should -Be 4
        $received = Get-TestSmtpMessage $Plain | Where-Object { $_.Message.Subject -like 'Parallel *' }
        @($received.Message.Subject | Sort-Object -Unique).Count | Should -Be 80
    }

    It 'writes one protocol log for all the connections of a -ThrottleLimit pipeline' {
        $log = Join-Path $TestDrive 'parallel.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -ProtocolLog $log
        $results = 1..20 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Subject logged -Body b -ThrottleLimit 4
        @($results | Where-Object Succeeded).Count | Should -Be 20
        @(Select-String -Path $log -Pattern 'Connected to smtp://127\.0\.0\.1').Count | Should -Be 4
        @(Select-String -Path $log -Pattern 'C: MAIL FROM:<ops@example\.com>').Count | Should -Be 20
    }

    It 'runs script block backends on the pipeline thread even with -ThrottleLimit' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $script:threads = [System.Collections.Generic.List[int]]::new()
        $hook = New-MailBackend -ScriptBlock { $script:threads.Add([Threading.Thread]::CurrentThread.ManagedThreadId) }
        $results = 1..20 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com" } } |
            Send-CompositeMail -Backend $smtp, $hook -From ops@example.com -Subject hooked -Body b -ThrottleLimit 4
        @($results | Where-Object Succeeded).Count | Should -Be 20
        $script:threads.Count | Should -Be 20
        $script:threads | Sort-Object -Unique | Should -Be ([Threading.Thread]::CurrentThread.ManagedThreadId)
    }

    It 'works as the Send-MailMessage shortcut: -SmtpServer and -Port without -UseSsl' {
        $result = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $Plain.Port @Mail -PassThru -Subject 'shortcut'
        $result.Succeeded | Should -BeTrue
        $result.Results[0].Backend | Should -Be 'smtp'
        @(Get-TestSmtpMessage $Plain)[-1].Message.Subject | Should -Be 'shortcut'
    }

    It 'requires encryption in the shortcut with -UseSsl' {
        $result = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $Plain.Port -UseSsl @Mail -PassThru -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'does not offer STARTTLS'
    }

    It 'refuses a credential over clear text in the shortcut too' {
        $result = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $Plain.Port -Credential $GoodCredential @Mail -PassThru -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'never sent in clear text'
    }
}

Describe 'SMTP over TLS with a certificate the test made' {
    BeforeAll {
        $script:StartTls = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -User mailer -Password $Password
        $script:Implicit = Start-TestSmtpServer -Mode implicit -CertificateFolder $CertFolder
    }
    AfterAll { $script:StartTls, $script:Implicit | Stop-TestSmtpServer }

    It 'refuses the untrusted certificate by default, naming the host and the reason (<Mode>)' -ForEach @(
        @{ Mode = 'starttls'; Security = 'StartTls' }
        @{ Mode = 'implicit'; Security = 'SslOnConnect' }
    ) {
        $server = if ($Mode -eq 'starttls') { $StartTls } else { $Implicit }
        $before = @(Get-TestSmtpMessage $server).Count
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security $Security @Fast
        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match "127\.0\.0\.1:$($server.Port)"
        $result.Results[0].Error | Should -Match 'not trusted'
        $result.Results[0].Error | Should -Match $Certificate.Thumbprint
        $failures[0].CategoryInfo.Category | Should -Be 'SecurityError'
        @(Get-TestSmtpMessage $server).Count | Should -Be $before
    }

    It 'accepts it with -SkipCertificateCheck, warning when the backend is made (<Mode>)' -ForEach @(
        @{ Mode = 'starttls'; Security = 'StartTls' }
        @{ Mode = 'implicit'; Security = 'SslOnConnect' }
    ) {
        $server = if ($Mode -eq 'starttls') { $StartTls } else { $Implicit }
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security $Security -SkipCertificateCheck -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Match 'Certificate checks are off'
        (Send-CompositeMail -Backend $smtp @Mail).Succeeded | Should -BeTrue
    }

    It 'accepts it when its thumbprint is pinned (<Kind>)' -ForEach @(
        @{ Kind = 'SHA-1' }
        @{ Kind = 'SHA-256' }
    ) {
        $thumbprint = if ($Kind -eq 'SHA-1') { $Certificate.Thumbprint } else { $Certificate.GetCertHashString([System.Security.Cryptography.HashAlgorithmName]::SHA256) }
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $StartTls.Port -CertificateThumbprint $thumbprint
        $result = Send-CompositeMail -Backend $smtp @Mail -Subject "pinned $Kind"
        $result.Succeeded | Should -BeTrue
        @(Get-TestSmtpMessage $StartTls)[-1].Message.Subject | Should -Be "pinned $Kind"
    }

    It 'uses implicit TLS on its own when the port is 465-style SslOnConnect' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Implicit.Port -Security SslOnConnect -CertificateThumbprint $Certificate.Thumbprint
        $smtp.Security | Should -Be 'SslOnConnect'
        (Send-CompositeMail -Backend $smtp @Mail).Succeeded | Should -BeTrue
    }

    It 'authenticates with a PSCredential over STARTTLS, telling TLS details on -Verbose without the password' {
        $log = Join-Path $TestDrive 'auth-ok.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $StartTls.Port -CertificateThumbprint $Certificate.Thumbprint -Credential $GoodCredential -ProtocolLog $log
        $output = Send-CompositeMail -Backend $smtp @Mail -Subject 'authenticated' -Verbose 4>&1
        $result = $output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $verbose = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n"

        $result.Succeeded | Should -BeTrue
        (Get-TestSmtpEvent $StartTls -Event auth)[-1].success | Should -BeTrue
        $verbose | Should -Match 'connected, Tls1[23]'
        $verbose | Should -Match 'authenticating as mailer'
        $verbose | Should -Match 'accepted: 2\.0\.0 Ok'
        $verbose | Should -Not -Match ([regex]::Escape($Password))
        $protocol = Get-Content $log -Raw
        $protocol | Should -Match 'AUTH'
        $protocol | Should -Not -Match ([regex]::Escape($Password))
        $protocol | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0mailer`0$Password"))))
    }

    It 'fails clearly on a wrong password, with the password in no output' {
        $connectsBefore = Get-TestSmtpConnectionCount $StartTls
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $StartTls.Port -CertificateThumbprint $Certificate.Thumbprint -Credential $BadCredential @Fast
        $output = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose *>&1 | Out-String

        $failures[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failures[0].Exception.Message | Should -Match "backend 'smtp' failed: .*(Authentication|credentials)"
        ($output + ($failures | Out-String)) | Should -Not -Match 'wrong-password'
        (Get-TestSmtpConnectionCount $StartTls) - $connectsBefore | Should -Be 1 -Because 'a wrong password is not retried'
    }
}

Describe 'SMTP with XOAUTH2' {
    BeforeAll {
        $script:Token = 'ya29.test-access-token'
        $script:OAuth = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -OAuthUser 'robot@example.com' -OAuthToken $Token
    }
    AfterAll { $script:OAuth | Stop-TestSmtpServer }

    It 'authenticates with a SecureString token, keeping it out of the protocol log' {
        $log = Join-Path $TestDrive 'oauth.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $OAuth.Port -CertificateThumbprint $Certificate.Thumbprint `
            -UserName 'robot@example.com' -OAuthToken (ConvertTo-SecureString $Token -AsPlainText -Force) -ProtocolLog $log
        $smtp.Authentication | Should -Be 'XOAUTH2'
        (Send-CompositeMail -Backend $smtp @Mail).Succeeded | Should -BeTrue
        (Get-TestSmtpEvent $OAuth -Event auth)[-1].mechanism | Should -Be 'XOAUTH2'
        $protocol = Get-Content $log -Raw
        $protocol | Should -Match 'AUTH XOAUTH2'
        $protocol | Should -Not -Match ([regex]::Escape($Token))
        $protocol | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes("user=robot@example.com`u{1}auth=Bearer $Token`u{1}`u{1}"))))
    }

    It 'asks a script block for a fresh token at each connection' {
        $script:asked = 0
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $OAuth.Port -CertificateThumbprint $Certificate.Thumbprint `
            -UserName 'robot@example.com' -OAuthToken { $script:asked++; $Token }
        $script:asked | Should -Be 0 -Because 'New-MailBackend connects to nothing'
        $null = Send-CompositeMail -Backend $smtp @Mail
        $null = Send-CompositeMail -Backend $smtp @Mail
        $script:asked | Should -Be 2
    }

    It 'asks the token script block on the pipeline thread when connections open in parallel' {
        $script:askedOn = [System.Collections.Generic.List[int]]::new()
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $OAuth.Port -CertificateThumbprint $Certificate.Thumbprint `
            -UserName 'robot@example.com' -OAuthToken { $script:askedOn.Add([Threading.Thread]::CurrentThread.ManagedThreadId); $Token }
        $results = 1..12 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Subject parallel -Body b -ThrottleLimit 3
        @($results | Where-Object Succeeded).Count | Should -Be 12
        $script:askedOn.Count | Should -Be 3
        $script:askedOn | Sort-Object -Unique | Should -Be ([Threading.Thread]::CurrentThread.ManagedThreadId)
    }

    It 'fails with a wrong token' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $OAuth.Port -CertificateThumbprint $Certificate.Thumbprint `
            -UserName 'robot@example.com' -OAuthToken { 'expired' } @Fast
        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $failures[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'sends a realistic Entra-sized token after a 334, not on an AUTH line over 512 octets, to a server that holds to the limit' {
        # Entra access tokens run to 1,500-2,500 characters: the initial response would make the AUTH line about 2,700 octets.
        $long = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.' + ('A' * 2000) + '.sig'
        $strict = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -OAuthUser 'robot@example.com' -OAuthToken $long -StrictCommandLength
        try {
            $log = Join-Path $TestDrive 'long-token.log'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $strict.Port -CertificateThumbprint $Certificate.Thumbprint `
                -UserName 'robot@example.com' -OAuthToken { $long } -ProtocolLog $log -RetryCount 0
            (Send-CompositeMail -Backend $smtp @Mail).Succeeded | Should -BeTrue
            $auth = Get-TestSmtpEvent $strict -Event auth
            $auth.success | Should -Be $true
            $auth.initial_response | Should -Be $false
            Get-Content $log | Where-Object { $_ -match ' C: AUTH ' } | Should -Match ' C: AUTH XOAUTH2$'

            # A short token still goes on the AUTH line (one round trip fewer).
            $short = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $OAuth.Port -CertificateThumbprint $Certificate.Thumbprint -UserName 'robot@example.com' -OAuthToken { $Token }
            (Send-CompositeMail -Backend $short @Mail).Succeeded | Should -BeTrue
            (Get-TestSmtpEvent $OAuth -Event auth)[-1].initial_response | Should -Be $true
        }
        finally { Stop-TestSmtpServer $strict }
    }

    It 'refuses a plain-text token' {
        { New-MailBackend -Smtp -SmtpServer 127.0.0.1 -UserName robot@example.com -OAuthToken 'plain' } | Should -Throw -ErrorId 'InvalidOAuthToken,PSCompositeMail.Commands.NewMailBackendCommand'
    }
}

Describe 'SMTP replies and failures' {
    It 'marks a 550 recipient rejected while the others get the message' {
        $server = Start-TestSmtpServer -RejectRecipient 'nobody'
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com', 'nobody@example.com', 'b@example.com' -Subject s -Body b -WarningVariable warned -WarningAction SilentlyContinue
            $result.Succeeded | Should -BeTrue
            $result.Results[0].RejectedRecipients | Should -Be 'nobody@example.com'
            $warned | Should -Match 'refused recipient nobody@example.com: 550'
            (Get-TestSmtpMessage $server).RcptTo | Should -Be 'a@example.com', 'b@example.com'

            $all = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'nobody@example.com' -Subject s -Body b -ErrorVariable failures -ErrorAction SilentlyContinue
            $all.Succeeded | Should -BeFalse
            $all.Results[0].Error | Should -Match 'accepted none of the recipients: nobody@example.com: 550'
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'retries a 451 and delivers exactly once' {
        $server = Start-TestSmtpServer -TempFailData 1
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 2 -RetryIntervalSec 0.1
            $result = Send-CompositeMail -Backend $smtp @Mail
            $result.Succeeded | Should -BeTrue
            @(Get-TestSmtpEvent $server -Event tempfail).Count | Should -Be 1
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'gives up on a 451 after -RetryCount retries' {
        $server = Start-TestSmtpServer -TempFailData 10
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 2 -RetryIntervalSec 0
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            # The server's own reply, with its code, and how often it was tried.
            $result.Results[0].Error | Should -Match '^451 4\.3\.0 Temporary failure, try again later \(after 3 attempts\)$'
            @(Get-TestSmtpEvent $server -Event tempfail).Count | Should -Be 3
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'tells the reply code of a refusal it does not retry' {
        $server = Start-TestSmtpServer -TempFailData 1
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorAction SilentlyContinue
            $result.Results[0].Error | Should -Be '451 4.3.0 Temporary failure, try again later'
            $result.Results[0].Exception.GetType().FullName | Should -Be 'MailKit.Net.Smtp.SmtpCommandException'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'reconnects and delivers when the server dropped the connection between two messages' {
        $first = Start-TestSmtpServer
        $script:second = $null
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $first.Port -Security None -RetryIntervalSec 0
            $results = 1..2 | ForEach-Object {
                if ($_ -eq 2) {
                    # The first message went over a connection that this restart now breaks.
                    Stop-TestSmtpServer $first
                    $script:second = Start-TestSmtpServer -Port $first.Port
                }
                [pscustomobject]@{ To = 'jane@example.com'; Subject = "message $_" }
            } | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b

            $results.Succeeded | Should -Be $true, $true
            (Get-TestSmtpMessage $script:second).Message.Subject | Should -Be 'message 2'
        }
        finally { $first, $script:second | Stop-TestSmtpServer }
    }

    It 'reports a dead port as a connection error after its retries' {
        $port = Get-FreeTcpPort
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 1 -RetryIntervalSec 0 -Name relay
        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match "Could not connect to 127\.0\.0\.1:$port.*after 2 attempts"
        $failures[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $failures[0].Exception.Message | Should -Match "backend 'relay' failed"
    }

    It 'still shows the message on the console when the SMTP server is down, naming the SMTP backend' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0 -Name relay
        $output = $smtp, (New-MailBackend -Console) | Send-CompositeMail @Mail -ErrorVariable failures -ErrorAction SilentlyContinue 6>&1
        ($output | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }).MessageData.Message | Should -Match 'Subject: Disk report'
        ($output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }).Results.Status | Should -Be 'Failed', 'Sent'
        $failures[0].Exception.Message | Should -Match "backend 'relay' failed: Could not connect"
    }

    It 'times out on a server that never answers' {
        $server = Start-TestSmtpServer -Mode hang
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            $result.Results[0].Error | Should -Match 'did not answer within 1 s'
            $failures[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'stops within about a second when the pipeline is stopped during a hung connection' {
        $server = Start-TestSmtpServer -Mode hang
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($ModulePath, $Port)
                Import-Module $ModulePath
                $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -TimeoutSec 120
                Send-CompositeMail -Backend $smtp -From ops@example.com -To jane@example.com -Subject s -Body b
            }).AddArgument($ModulePath).AddArgument($server.Port)
            $running = $shell.BeginInvoke()
            Start-Sleep -Seconds 2
            $running.IsCompleted | Should -BeFalse
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $shell.Dispose()
            Stop-TestSmtpServer $server
        }
    }
}

Describe 'International mail and header injection over SMTP' {
    BeforeAll {
        $script:Ascii = Start-TestSmtpServer
        $script:Utf8 = Start-TestSmtpServer -SmtpUtf8
        $script:AsciiSmtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Ascii.Port -Security None -RetryCount 0
    }
    AfterAll { $script:Ascii, $script:Utf8 | Stop-TestSmtpServer }

    It 'delivers a Chinese subject and an internationalized domain intact' {
        $result = Send-CompositeMail -Backend $AsciiSmtp -From ops@example.com -To '张伟 <zhang@例子.广告>' -Subject '季度报告 — 第三季度' -Body '你好，世界'
        $result.Succeeded | Should -BeTrue
        $received = @(Get-TestSmtpMessage $Ascii)[-1]
        $received.RcptTo | Should -Be 'zhang@xn--fsqu00a.xn--4rr70v'
        $received.Message.Subject | Should -Be '季度报告 — 第三季度'
        $received.Message.To.Mailboxes[0].Name | Should -Be '张伟'
        $received.Message.TextBody.TrimEnd() | Should -Be '你好，世界'
    }

    It 'refuses a non-ASCII local part when the server has no SMTPUTF8, and sends it when it has' {
        $result = Send-CompositeMail -Backend $AsciiSmtp -From ops@example.com -To 'josé@example.com' -Subject s -Body b -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'does not offer SMTPUTF8.*josé@example\.com'
        $failures[0].CategoryInfo.Category | Should -Be 'ProtocolError'

        $utf8Smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Utf8.Port -Security None
        (Send-CompositeMail -Backend $utf8Smtp -From ops@example.com -To 'josé@example.com' -Subject s -Body b).Succeeded | Should -BeTrue
        @(Get-TestSmtpMessage $Utf8)[-1].RcptTo | Should -Be 'josé@example.com'
    }

    It 'delivers a body with a bare CR before a dot line as one message whose lines a parser reads as sent' {
        $before = @(Get-TestSmtpMessage $Ascii).Count
        (Send-CompositeMail -Backend $AsciiSmtp @Mail -Body "a`r.`r`nb").Succeeded | Should -BeTrue
        $received = @(Get-TestSmtpMessage $Ascii)
        $received.Count | Should -Be ($before + 1)
        $received[-1].Message.TextBody -split "`r?`n" | Select-Object -First 3 | Should -Be 'a', '.', 'b'
    }

    It 'never lets <Name> add a header or a recipient on the server' -ForEach @(
        @{ Name = 'CR LF in the subject'; Injected = @{ Subject = "hi`r`nBcc: evil@example.com" } }
        @{ Name = 'LF in a display name'; Injected = @{ To = "Jane`nBcc: evil@example.com <jane@example.com>" } }
        @{ Name = 'CR LF in an address'; Injected = @{ To = "jane@example.com`r`nRCPT TO:<evil@example.com>" } }
        @{ Name = 'CR LF in a custom header'; Injected = @{ Headers = @{ 'X-Note' = "a`r`nBcc: evil@example.com" } } }
    ) {
        $before = @(Get-TestSmtpMessage $Ascii).Count
        $arguments = $Mail.Clone()
        foreach ($key in $Injected.Keys) { $arguments[$key] = $Injected[$key] }
        $null = Send-CompositeMail -Backend $AsciiSmtp @arguments -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-TestSmtpMessage $Ascii).Count | Should -Be $before
        Get-TestSmtpMessage $Ascii | ForEach-Object {
            $_.RcptTo | Should -Not -Contain 'evil@example.com'
            $_.Raw | Should -Not -Match 'evil@example\.com'
        }
    }
}

Describe 'Test-MailBackend for SMTP' {
    BeforeAll { $script:Checked = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -User mailer -Password $Password }
    AfterAll { $script:Checked | Stop-TestSmtpServer }

    It 'connects, secures, authenticates and quits without sending' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Checked.Port -CertificateThumbprint $Certificate.Thumbprint -Credential $GoodCredential
        $result = $smtp | Test-MailBackend
        $result.Succeeded | Should -BeTrue
        $result.Tls | Should -Match '^Tls1[23]'
        $result.Capabilities | Should -Contain 'AUTH PLAIN'
        $result.Latency | Should -BeGreaterThan ([timespan]::Zero)
        (Get-TestSmtpEvent $Checked -Event auth)[-1].success | Should -BeTrue
        Get-TestSmtpMessage $Checked | Should -BeNullOrEmpty
    }

    It 'says it authenticated after a successful login, and that it did not when no credential was given' {
        $withLogin = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Checked.Port -CertificateThumbprint $Certificate.Thumbprint -Credential $GoodCredential | Test-MailBackend
        $withLogin.Authenticated | Should -BeTrue
        $withLogin.Detail | Should -Match 'authenticated as mailer'
        $withLogin.Detail | Should -Not -Match 'authenticated: False'

        $anonymous = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Checked.Port -CertificateThumbprint $Certificate.Thumbprint | Test-MailBackend
        $anonymous.Succeeded | Should -BeTrue
        $anonymous.Authenticated | Should -BeFalse
        $anonymous.Detail | Should -Match 'not authenticated \(no credential given\)'
    }

    It 'reports what failed' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Checked.Port -CertificateThumbprint $Certificate.Thumbprint -Credential $BadCredential
        $result = Test-MailBackend $smtp
        $result.Succeeded | Should -BeFalse
        $result.Error | Should -Not -BeNullOrEmpty
        $result.Error | Should -Not -Match 'wrong-password'
    }
}
