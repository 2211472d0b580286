# Token endpoints that misbehave: redirects, hangs, unusable tokens; and the permissions a token carries, checked
# before the night by Test-MailBackend. Everything runs against the local Entra / managed identity / Google / Graph
# stand-ins (servers/cloud_server.py) and aiosmtpd on 127.0.0.1.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/cloud.ps1
    $script:Tenant = 'contoso.onmicrosoft.com'
    $script:AppId = '11111111-1111-1111-1111-111111111111'
    $script:Secret = 'Token~Secret.Value-' + [guid]::NewGuid().ToString('N')
    $script:SecureSecret = ConvertTo-SecureString $Secret -AsPlainText -Force
    $script:IdentityHeader = [guid]::NewGuid().ToString('N')
    $script:GoogleUser = 'robot@example.com'
    $script:GoogleEmail = 'mailer@test-project.iam.gserviceaccount.com'
    $script:Message = @{ From = 'robot@contoso.com'; To = 'jane@contoso.com'; Subject = 'Token endpoint test'; Body = 'Hello.' }

    # A full stand-in: Entra (one app), the managed identity endpoint, Google and Graph.
    function Start-TokenServer {
        param([hashtable] $Extra = @{}, [int] $Port, [string] $GooglePublicKey)
        $config = @{
            entra            = @{ tenant = $Tenant; clients = @(@{ client_id = $AppId; secret = $Secret }) }
            managed_identity = @{ header = $IdentityHeader; system_client_id = '44444444-4444-4444-4444-444444444444'; client_ids = @() }
            graph            = @{ denied = @('ceo@contoso.com') }
        }
        if ($GooglePublicKey) { $config.google = @{ client_email = $GoogleEmail; public_key = $GooglePublicKey; users = @($GoogleUser) } }
        foreach ($key in $Extra.Keys) { $config[$key] = $Extra[$key] }
        if ($Port) { Start-TestCloudServer -Config $config -Port $Port } else { Start-TestCloudServer -Config $config }
    }

    function Use-ManagedIdentityEndpoint {
        # App Service and Automation offer their identity endpoint through these two variables; here, a local stand-in.
        param($Server)
        $env:IDENTITY_ENDPOINT = "$($Server.Url)/msi/token"
        $env:IDENTITY_HEADER = $IdentityHeader
    }

    $script:SavedEndpoint = $env:IDENTITY_ENDPOINT
    $script:SavedHeader = $env:IDENTITY_HEADER
    $script:SmtpCertificateFolder = Join-Path $TestDrive 'smtp-cert'
    $script:SmtpCertificate = New-TestCertificate -Folder $SmtpCertificateFolder
}

AfterAll {
    $env:IDENTITY_ENDPOINT = $SavedEndpoint
    $env:IDENTITY_HEADER = $SavedHeader
}

Describe 'Token requests never follow a redirect (issue 20, item 10)' {
    BeforeAll {
        # The other host: it would issue tokens that its own Graph accepts, so a followed redirect would deliver.
        $targetPort = Get-FreeTcpPort
        $script:GoogleKey = Join-Path $TestDrive 'google-redirect.json'
        $redirectorPort = Get-FreeTcpPort
        $googlePublic = New-TestGoogleServiceAccountKey -Path $GoogleKey -TokenUri "https://127.0.0.1:$redirectorPort/google/token" -ClientEmail $GoogleEmail
        $script:Target = Start-TokenServer -Port $targetPort -GooglePublicKey $googlePublic
        $script:Redirector = Start-TokenServer -Port $redirectorPort -GooglePublicKey $googlePublic -Extra @{
            redirect = @{
                entra            = "$($Target.Url)/$Tenant/oauth2/v2.0/token"
                managed_identity = "$($Target.Url)/msi/token"
                google           = "$($Target.Url)/google/token"
            }
        }
        $script:Gmail = Start-TestSmtpServer -Mode starttls -CertificateFolder $SmtpCertificateFolder -OAuthUser $GoogleUser `
            -OAuthIssuerKey $Target.IssuerPublicKey -OAuthAudience 'https://mail.google.com/'
        function Get-TargetRequest { @(Get-TestCloudEvent $Target | Where-Object { $_.path -and $_.path -notlike '/v1.0/*' }) }
    }
    AfterAll {
        $script:Gmail | Stop-TestSmtpServer
        $script:Target, $script:Redirector | Stop-TestCloudServer
    }

    It 'sends nothing to the other host for <Case>, uses no token from it, and says a redirect was refused' -ForEach @(
        @{ Case = 'a managed identity (X-IDENTITY-HEADER)'; Endpoint = 'managed_identity' }
        @{ Case = 'an Entra ID app (client secret)'; Endpoint = 'entra' }
        @{ Case = 'a Google service account (signed assertion)'; Endpoint = 'google' }
    ) {
        $before = (Get-TargetRequest).Count
        $sentBefore = @(Get-TestCloudMessage $Target).Count + @(Get-TestSmtpMessage $Gmail).Count
        try {
            Use-ManagedIdentityEndpoint $Redirector
            $backend = switch ($Endpoint) {
                'managed_identity' { New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $Target.Url -RetryCount 0 }
                'entra' { New-MailBackend -Graph -TenantId $Tenant -ClientId $AppId -ClientSecret $SecureSecret -AuthorityHost $Redirector.Url -GraphEndpoint $Target.Url -RetryCount 0 }
                'google' {
                    New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint -UserName $GoogleUser `
                        -GoogleServiceAccountKey $GoogleKey -RetryCount 0
                }
            }
            $from = if ($Endpoint -eq 'google') { $GoogleUser } else { 'robot@contoso.com' }
            $result = Send-CompositeMail -Backend $backend @Message -From $from -ErrorAction SilentlyContinue
            $test = Test-MailBackend -Backend $backend
        }
        finally {
            $env:IDENTITY_ENDPOINT = $SavedEndpoint
            $env:IDENTITY_HEADER = $SavedHeader
        }

        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'redirect'
        $result.Results[0].Error | Should -Match 'never follow'
        $test.Succeeded | Should -BeFalse
        @(Get-TestCloudEvent $Redirector -Event token-redirect | Where-Object endpoint -eq $Endpoint).Count | Should -BeGreaterOrEqual 1
        (Get-TargetRequest).Count | Should -Be $before -Because 'nothing of the token request may reach the host a redirect names'
        @(Get-TestCloudMessage $Target).Count + @(Get-TestSmtpMessage $Gmail).Count | Should -Be $sentBefore
        $result.Results[0].Error | Should -Not -Match ([regex]::Escape($IdentityHeader))
    }
}

Describe 'Token requests are bounded by -TimeoutSec (issue 20, item 11)' {
    BeforeAll {
        # Accepts each token request, reads it and never answers.
        $script:Hung = Start-TokenServer -Extra @{ hang = @{ entra = $true; managed_identity = $true; google = $true } }
        $script:Graph = Start-TokenServer
        $script:Exchange = Start-TestSmtpServer -Mode starttls -CertificateFolder $SmtpCertificateFolder -OAuthUser robot@contoso.com `
            -OAuthIssuerKey $Graph.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com'

        # Runs one send in its own PowerShell instance, so that a hang can be seen (and ended) instead of hanging the tests.
        $script:HungSend = {
            param($ModulePath, $Kind, $HungUrl, $GraphUrl, $SmtpPort, $Thumbprint, $Tenant, $AppId, $Secret, $Spool, $TimeoutSec, [switch] $Test, [int] $Count = 1, [switch] $Again)
            Import-Module $ModulePath
            $common = @{ TimeoutSec = $TimeoutSec; RetryCount = 0 }
            $secure = ConvertTo-SecureString $Secret -AsPlainText -Force
            $backend = switch ($Kind) {
                'Graph with a managed identity' { New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $GraphUrl @common }
                'Graph with an Entra app' { New-MailBackend -Graph -TenantId $Tenant -ClientId $AppId -ClientSecret $secure -AuthorityHost $HungUrl -GraphEndpoint $GraphUrl @common }
                'SMTP with an Entra app' {
                    New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $SmtpPort -CertificateThumbprint $Thumbprint -UserName robot@contoso.com `
                        -TenantId $Tenant -ClientId $AppId -ClientSecret $secure -AuthorityHost $HungUrl @common
                }
            }
            if ($Test) { Test-MailBackend -Backend $backend; return }
            1..$Count | ForEach-Object { [pscustomobject]@{ Subject = "Hung $Kind" + $(if ($_ -gt 1) { " $_" }) } } |
                Send-CompositeMail -Backend $backend -From robot@contoso.com -To jane@contoso.com -Body b -SpoolDirectory $Spool -ErrorAction SilentlyContinue
            if ($Again) {
                # A later pipeline, and a check, with the same backend object while the first request's wait is still recent.
                Send-CompositeMail -Backend $backend -From robot@contoso.com -To jane@contoso.com -Subject 'Hung again' -Body b -SpoolDirectory $Spool -ErrorAction SilentlyContinue
                Test-MailBackend -Backend $backend
            }
        }

        function Invoke-HungSend {
            param([string] $Kind, [int] $TimeoutSec, [scriptblock] $StopWhen, [switch] $Test, [int] $Count = 1, [switch] $Again)
            $spool = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $shell = [powershell]::Create()
            try {
                $null = $shell.AddScript($HungSend).AddParameters(@{
                        ModulePath = $ModulePath; Kind = $Kind; HungUrl = $Hung.Url; GraphUrl = $Graph.Url; SmtpPort = $Exchange.Port
                        Thumbprint = $SmtpCertificate.Thumbprint; Tenant = $Tenant; AppId = $AppId; Secret = $Secret; Spool = $spool; TimeoutSec = $TimeoutSec; Test = $Test; Count = $Count; Again = $Again
                    })
                $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
                $running = $shell.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
                if ($StopWhen) {
                    $deadline = [DateTime]::UtcNow.AddSeconds(60)
                    while (-not (& $StopWhen) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
                    & $StopWhen | Should -BeTrue -Because 'the send should reach the hung token endpoint'
                    $shell.Stop()
                }
                # A bound against a hang, not a measure of speed: the token request alone may take -TimeoutSec.
                $ended = $running.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(90))
                if (-not $ended) { $shell.Stop() }
                try { $null = $shell.EndInvoke($running) } catch { }
                [pscustomobject]@{ Ended = $ended; Output = @($output); Spool = $spool }
            }
            finally { $shell.Dispose() }
        }
    }
    AfterAll {
        $script:Exchange | Stop-TestSmtpServer
        $script:Hung, $script:Graph | Stop-TestCloudServer
        $env:IDENTITY_ENDPOINT = $SavedEndpoint
        $env:IDENTITY_HEADER = $SavedHeader
    }

    It 'fails <Kind> when the token endpoint never answers, and keeps the message in the spool' -ForEach @(
        @{ Kind = 'Graph with a managed identity' }
        @{ Kind = 'Graph with an Entra app' }
        @{ Kind = 'SMTP with an Entra app' }
    ) {
        Use-ManagedIdentityEndpoint $Hung
        try { $run = Invoke-HungSend -Kind $Kind -TimeoutSec 2 }
        finally { $env:IDENTITY_ENDPOINT = $SavedEndpoint; $env:IDENTITY_HEADER = $SavedHeader }

        $run.Ended | Should -BeTrue -Because 'a token request is bounded by -TimeoutSec'
        $result = $run.Output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'did not answer within 2 s'
        @(Get-MailSpool -Path $run.Spool).Subject | Should -Be "Hung $Kind"
        @(Get-TestCloudEvent $Hung -Event token-hang).Count | Should -BeGreaterOrEqual 1
    }

    It 'asks a hung endpoint once for a batch: the next messages fail at once and are spooled too' {
        $before = @(Get-TestCloudEvent $Hung -Event token-hang).Count
        $run = Invoke-HungSend -Kind 'Graph with an Entra app' -TimeoutSec 5 -Count 3
        $run.Ended | Should -BeTrue
        $results = @($run.Output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] })
        $results.Succeeded | Should -Be $false, $false, $false
        $results[1].Results[0].Error | Should -Match 'not asked again before'
        @(Get-MailSpool -Path $run.Spool).Count | Should -Be 3
        @(Get-TestCloudEvent $Hung -Event token-hang).Count - $before | Should -Be 1
    }

    It 'remembers a hung endpoint for one Send-CompositeMail call only: the next call and Test-MailBackend ask again' {
        $before = @(Get-TestCloudEvent $Hung -Event token-hang).Count
        $run = Invoke-HungSend -Kind 'Graph with an Entra app' -TimeoutSec 2 -Count 2 -Again
        $run.Ended | Should -BeTrue
        $results = @($run.Output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] })
        $results.Succeeded | Should -Be $false, $false, $false
        $results[1].Results[0].Error | Should -Match 'not asked again'
        $results[2].Results[0].Error | Should -Match 'did not answer within 2 s \(-TimeoutSec\)\.$'
        $test = $run.Output | Where-Object { $_ -is [PSCompositeMail.Results.BackendTestResult] }
        $test.Error | Should -Match 'did not answer within 2 s \(-TimeoutSec\)\.$'
        @(Get-TestCloudEvent $Hung -Event token-hang).Count - $before | Should -Be 3 -Because 'each pipeline, and each check, asks once'
        @(Get-MailSpool -Path $run.Spool).Count | Should -Be 3
    }

    It 'ends promptly on Stop() (Ctrl+C) while a token request hangs' {
        $before = @(Get-TestCloudEvent $Hung -Event token-hang).Count
        $run = Invoke-HungSend -Kind 'Graph with an Entra app' -TimeoutSec 600 -StopWhen { @(Get-TestCloudEvent $Hung -Event token-hang).Count -gt $before }
        $run.Ended | Should -BeTrue -Because 'Stop() cancels a token request like any other network call'
    }

    It 'fails Test-MailBackend within -TimeoutSec too, naming the endpoint' {
        $run = Invoke-HungSend -Kind 'Graph with an Entra app' -TimeoutSec 2 -Test
        $run.Ended | Should -BeTrue -Because 'a token request is bounded by -TimeoutSec'
        $test = $run.Output | Where-Object { $_ -is [PSCompositeMail.Results.BackendTestResult] }
        $test.Succeeded | Should -BeFalse
        $test.Error | Should -Match 'did not answer within 2 s'
        $test.Error | Should -Match ([regex]::Escape("127.0.0.1:$($Hung.Port)"))
        $test.Authenticated | Should -BeNullOrEmpty -Because 'an endpoint that did not answer refused nothing'
    }
}

Describe 'Unusable tokens are refused and never cached (issue 20, item 12)' {
    BeforeAll {
        # Returns a "token" holding CRLF and a header of its own, as a broken or hostile endpoint might.
        $script:Broken = Start-TokenServer -Extra @{ managed_identity = @{
                header = $IdentityHeader; system_client_id = '44444444-4444-4444-4444-444444444444'; client_ids = @()
                token = "eyJhbGciOiJub25lIn0.e30.x`r`nX-Injected: yes" } }
        $script:Working = Start-TokenServer
    }
    AfterAll {
        $script:Broken, $script:Working | Stop-TestCloudServer
        $env:IDENTITY_ENDPOINT = $SavedEndpoint
        $env:IDENTITY_HEADER = $SavedHeader
    }

    It 'refuses the token clearly, fails Test-MailBackend, and then gets a token from a working endpoint' {
        try {
            Use-ManagedIdentityEndpoint $Broken
            $first = New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $Working.Url -RetryCount 0 -Name first
            $refused = Send-CompositeMail -Backend $first @Message -Subject 'Broken token' -ErrorAction SilentlyContinue
            $brokenTest = Test-MailBackend -Backend $first

            Use-ManagedIdentityEndpoint $Working
            $second = New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $Working.Url -RetryCount 0 -Name second
            $sent = Send-CompositeMail -Backend $second @Message -Subject 'Working endpoint'
            $workingTest = Test-MailBackend -Backend $second
            # The first backend object too: its cache is keyed by the endpoint, not only by the object.
            $again = Send-CompositeMail -Backend $first @Message -Subject 'Same backend, working endpoint'
        }
        finally {
            $env:IDENTITY_ENDPOINT = $SavedEndpoint
            $env:IDENTITY_HEADER = $SavedHeader
        }

        $refused.Succeeded | Should -BeFalse
        $refused.Results[0].Error | Should -Match 'the token endpoint returned an unusable token'
        $brokenTest.Succeeded | Should -BeFalse
        $brokenTest.Error | Should -Match 'unusable token'
        Get-TestCloudEvent $Working -Event graph-refused | Should -BeNullOrEmpty -Because 'a broken token never reaches Graph'

        $sent.Succeeded | Should -BeTrue -Because $sent.Results[0].Error
        $workingTest.Succeeded | Should -BeTrue -Because $workingTest.Error
        $again.Succeeded | Should -BeTrue -Because $again.Results[0].Error
        @(Get-TestCloudEvent $Working -Event token | Where-Object grant -eq 'managed-identity').Count | Should -BeGreaterOrEqual 1
        (Get-TestCloudMessage $Working).Message.Subject | Should -Be 'Working endpoint', 'Same backend, working endpoint'
    }
}

Describe 'One token request for parallel deliveries' {
    BeforeAll { $script:Shared = Start-TokenServer }
    AfterAll { $script:Shared | Stop-TestCloudServer }

    It 'asks the endpoint once at -ThrottleLimit <Throttle>, the others waiting for that token' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 4 }) {
        $before = @(Get-TestCloudEvent $Shared -Event token).Count
        $graph = New-MailBackend -Graph -TenantId $Tenant -ClientId $AppId -ClientSecret $SecureSecret -AuthorityHost $Shared.Url -GraphEndpoint $Shared.Url
        $results = 1..8 | ForEach-Object { [pscustomobject]@{ Subject = "Parallel $Throttle $_" } } |
            Send-CompositeMail -Backend $graph -From robot@contoso.com -To jane@contoso.com -Body b -ThrottleLimit $Throttle
        @($results | Where-Object Succeeded).Count | Should -Be 8
        @(Get-TestCloudEvent $Shared -Event token).Count - $before | Should -Be 1
    }
}

Describe 'Permissions checked before the night (issue 21, item 5)' {
    BeforeAll {
        $googlePort = Get-FreeTcpPort
        $script:PermissionGoogleKey = Join-Path $TestDrive 'google-permissions.json'
        $googlePublic = New-TestGoogleServiceAccountKey -Path $PermissionGoogleKey -TokenUri "https://127.0.0.1:$googlePort/google/token" -ClientEmail $GoogleEmail
        # Three apps of one tenant: one with the send permissions (the default: Mail.Send on Graph tokens, SMTP.SendAsApp
        # on Exchange Online tokens, as after admin consent), one with none (no roles claim), one with another permission only.
        $script:Apps = @{ Granted = $AppId; NoRoles = '22222222-2222-2222-2222-222222222222'; OtherRoles = '33333333-3333-3333-3333-333333333333'
            StringRole = '55555555-5555-5555-5555-555555555555'; LowerCase = '66666666-6666-6666-6666-666666666666' }
        $script:Cloud = Start-TestCloudServer -Port $googlePort -Config @{
            entra  = @{ tenant = $Tenant; clients = @(
                    @{ client_id = $Apps.Granted; secret = $Secret }
                    @{ client_id = $Apps.NoRoles; secret = $Secret; roles = @() }
                    @{ client_id = $Apps.OtherRoles; secret = $Secret; roles = @('User.Read.All') }
                    # A roles claim that is one string, not a list; and the permission's name in the wrong case, which Graph does not take.
                    @{ client_id = $Apps.StringRole; secret = $Secret; roles = 'Mail.Send' }
                    @{ client_id = $Apps.LowerCase; secret = $Secret; roles = @('mail.send') }) }
            google = @{ client_email = $GoogleEmail; public_key = $googlePublic; users = @($GoogleUser) }
            graph  = @{ denied = @('ceo@contoso.com') }
        }
        # Like Exchange Online, it refuses an app token without SMTP.SendAsApp at AUTH.
        $script:Exchange = Start-TestSmtpServer -Mode starttls -CertificateFolder $SmtpCertificateFolder -OAuthUser robot@contoso.com `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com'
        $script:Gmail = Start-TestSmtpServer -Mode starttls -CertificateFolder $SmtpCertificateFolder -OAuthUser $GoogleUser `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://mail.google.com/'

        function New-GraphFor { param([string] $App = 'Granted', [hashtable] $Extra = @{})
            New-MailBackend -Graph -TenantId $Tenant -ClientId $Apps[$App] -ClientSecret $SecureSecret -AuthorityHost $Cloud.Url -GraphEndpoint $Cloud.Url -RetryCount 0 @Extra }
        function New-ExchangeFor { param([string] $App = 'Granted')
            New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Exchange.Port -CertificateThumbprint $SmtpCertificate.Thumbprint -UserName robot@contoso.com `
                -TenantId $Tenant -ClientId $Apps[$App] -ClientSecret $SecureSecret -AuthorityHost $Cloud.Url -RetryCount 0 }
    }
    AfterAll {
        $script:Exchange, $script:Gmail | Stop-TestSmtpServer
        $script:Cloud | Stop-TestCloudServer
    }

    It 'reports Mail.Send of a Graph token and SMTP.SendAsApp of an Exchange Online token, and succeeds' {
        $graph = Test-MailBackend -Backend (New-GraphFor)
        $graph.Succeeded | Should -BeTrue -Because $graph.Error
        $graph.Permissions | Should -Be 'Mail.Send'
        $graph.Detail | Should -Match 'Mail\.Send'

        $smtp = Test-MailBackend -Backend (New-ExchangeFor)
        $smtp.Succeeded | Should -BeTrue -Because $smtp.Error
        $smtp.Permissions | Should -Be 'SMTP.SendAsApp'
    }

    It 'fails a <Api> token that lacks <Role>, saying how to grant it (<Case>)' -ForEach @(
        @{ Api = 'Graph'; Role = 'Mail.Send'; Case = 'no roles claim'; App = 'NoRoles'; Carried = @() }
        @{ Api = 'Graph'; Role = 'Mail.Send'; Case = 'another permission only'; App = 'OtherRoles'; Carried = @('User.Read.All') }
        @{ Api = 'SMTP'; Role = 'SMTP.SendAsApp'; Case = 'no roles claim'; App = 'NoRoles'; Carried = @() }
        @{ Api = 'SMTP'; Role = 'SMTP.SendAsApp'; Case = 'another permission only'; App = 'OtherRoles'; Carried = @('User.Read.All') }
    ) {
        $backend = if ($Api -eq 'Graph') { New-GraphFor $App } else { New-ExchangeFor $App }
        $test = Test-MailBackend -Backend $backend
        $test.Succeeded | Should -BeFalse
        @($test.Permissions) | Should -Be $Carried
        $test.Error | Should -Match ([regex]::Escape($Role))
        $test.Error | Should -Match 'admin consent'
        $test.Error | Should -Match 'API permissions'
    }

    It 'reads a roles claim that is one string' {
        $graph = Test-MailBackend -Backend (New-GraphFor StringRole)
        $graph.Succeeded | Should -BeTrue -Because $graph.Error
        $graph.Permissions | Should -Be 'Mail.Send'
    }

    It 'compares permissions case-sensitively, as Graph does: mail.send is not Mail.Send' {
        $test = Test-MailBackend -Backend (New-GraphFor LowerCase)
        $test.Succeeded | Should -BeFalse
        $test.Permissions | Should -Be 'mail.send'
        $test.Error | Should -Match 'only mail\.send, not the application permission Mail\.Send'
    }

    It 'says which mailbox a test message From another address went through, and what that proves' {
        $graph = New-GraphFor -Extra @{ Mailbox = 'robot@contoso.com' }
        $test = Test-MailBackend -Backend $graph -SendTestMessage -From boss@contoso.com -To ops@contoso.com
        $test.Succeeded | Should -BeTrue -Because $test.Error
        $test.Detail | Should -Match 'through the mailbox robot@contoso\.com'
        $test.Detail | Should -Match 'not that .* may send from boss@contoso\.com'
    }

    It 'names the addresses the test message would go from and to under -WhatIf' {
        $graph = New-GraphFor -Extra @{ Mailbox = 'robot@contoso.com' }
        $transcript = Join-Path $TestDrive 'whatif.txt'
        $null = Start-Transcript -Path $transcript
        try { $null = Test-MailBackend -Backend $graph -SendTestMessage -To ops@contoso.com -WhatIf }
        finally { $null = Stop-Transcript }
        (Get-Content $transcript -Raw) -replace '\s+', ' ' | Should -Match 'Send a test message from robot@contoso\.com to ops@contoso\.com'
    }

    It 'lists no permissions for a Google service account, whose tokens are opaque, and still succeeds' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint -UserName $GoogleUser `
            -GoogleServiceAccountKey $PermissionGoogleKey
        $test = Test-MailBackend -Backend $smtp
        $test.Succeeded | Should -BeTrue -Because $test.Error
        $test.Permissions | Should -BeNullOrEmpty
    }

    It 'sends one test message from the mailbox to itself with -SendTestMessage, and only then succeeds' {
        $graph = New-GraphFor -Extra @{ Mailbox = 'robot@contoso.com' }
        $before = @(Get-TestCloudMessage $Cloud).Count
        $test = Test-MailBackend -Backend $graph -SendTestMessage
        $test.Succeeded | Should -BeTrue -Because $test.Error
        $test.Detail | Should -Match 'test message'
        $test.Detail | Should -Match 'request-id'
        $sent = @(Get-TestCloudMessage $Cloud)
        $sent.Count | Should -Be ($before + 1)
        $sent[-1].Mailbox | Should -Be 'robot@contoso.com'
        $sent[-1].Message.To.Mailboxes.Address | Should -Be 'robot@contoso.com'
    }

    It 'catches a mailbox the app may not send as (403 ErrorAccessDenied), which the token alone cannot show' {
        $graph = New-GraphFor -Extra @{ Mailbox = 'ceo@contoso.com' }
        (Test-MailBackend -Backend $graph).Succeeded | Should -BeTrue -Because 'the token carries Mail.Send'
        $test = Test-MailBackend -Backend $graph -SendTestMessage -To ops@contoso.com
        $test.Succeeded | Should -BeFalse
        $test.Error | Should -Match 'ErrorAccessDenied'
        $test.Error | Should -Match 'application access policy'
        $test.Permissions | Should -Be 'Mail.Send'
    }

    It 'sends the test message over SMTP to -To, and sends nothing with -WhatIf' {
        $smtp = New-ExchangeFor
        $before = @(Get-TestSmtpMessage $Exchange).Count
        $null = Test-MailBackend -Backend $smtp -SendTestMessage -WhatIf
        @(Get-TestSmtpMessage $Exchange).Count | Should -Be $before
        $test = Test-MailBackend -Backend $smtp -SendTestMessage -To ops@contoso.com
        $test.Succeeded | Should -BeTrue -Because $test.Error
        $arrived = @(Get-TestSmtpMessage $Exchange)
        $arrived.Count | Should -Be ($before + 1)
        $arrived[-1].Message.From.Mailboxes.Address | Should -Be 'robot@contoso.com'
        $arrived[-1].Message.To.Mailboxes.Address | Should -Be 'ops@contoso.com'
    }

    It 'needs -From for a backend without a mailbox of its own, and -SendTestMessage for -To' {
        $test = Test-MailBackend -Backend (New-GraphFor) -SendTestMessage
        $test.Succeeded | Should -BeFalse
        $test.Error | Should -Match '-From'
        { Test-MailBackend -Backend (New-GraphFor) -To ops@contoso.com } | Should -Throw -ErrorId 'TestMessageAddressWithoutSend,PSCompositeMail.Commands.TestMailBackendCommand'
    }
}

Describe 'Token endpoints that answer badly are reported as they answered' {
    AfterEach {
        $env:IDENTITY_ENDPOINT = $SavedEndpoint
        $env:IDENTITY_HEADER = $SavedHeader
        $env:AZURE_POD_IDENTITY_AUTHORITY_HOST = $null
    }

    It 'reports a managed identity endpoint that answers 500 at once as a 500, not as a hang, and asks it again for the next message' {
        # The library tries a 500 again itself; -TimeoutSec 2 ends that within its retries. An answer came: no hang.
        $failing = Start-TokenServer -Extra @{ outage = @{ managed_identity = 500 } }
        try {
            Use-ManagedIdentityEndpoint $failing
            $backend = New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $failing.Url -RetryCount 0 -TimeoutSec 2
            $results = @(1..2 | ForEach-Object { [pscustomobject]@{ Subject = "Outage $_" } } |
                    Send-CompositeMail -Backend $backend -From robot@contoso.com -To jane@contoso.com -Body b -ErrorAction SilentlyContinue)
            $results.Succeeded | Should -Be $false, $false
            foreach ($result in $results) {
                $result.Results[0].Error | Should -Match 'answered 500'
                $result.Results[0].Error | Should -Not -Match 'did not answer|not asked again'
            }
            (Test-MailBackend -Backend $backend).Authenticated | Should -BeNullOrEmpty -Because 'an endpoint that answered 500 refused nothing'
        }
        finally { $failing | Stop-TestCloudServer }
    }

    It 'refuses a half-set App Service environment (IDENTITY_ENDPOINT without IDENTITY_HEADER) before any request' {
        $server = Start-TokenServer
        try {
            $env:IDENTITY_ENDPOINT = "$($server.Url)/msi/token"
            $env:IDENTITY_HEADER = $null
            # Were the VM metadata service asked instead, it would be asked here, on a closed loopback port, never at 169.254.169.254.
            $env:AZURE_POD_IDENTITY_AUTHORITY_HOST = "http://127.0.0.1:$(Get-FreeTcpPort)"
            $test = Test-MailBackend -Backend (New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $server.Url -RetryCount 0 -TimeoutSec 5)
            $test.Succeeded | Should -BeFalse
            $test.Error | Should -Match 'IDENTITY_HEADER'
            $test.Error | Should -Match 'IDENTITY_ENDPOINT'
            Get-TestCloudEvent $server | Where-Object { $_.event -ne 'ready' } | Should -BeNullOrEmpty
        }
        finally { $server | Stop-TestCloudServer }
    }
}

Describe 'Test-MailBackend reports a failure as a result, whatever the token endpoint does afterwards' {
    It 'gives a failed result for an SMTP backend whose token was refused while the endpoint is down, and tests the next backend' {
        # Tokens live 60 s, under the five minutes of renewal, and the endpoint answers 500 after the two tokens AUTH used.
        $cloud = Start-TestCloudServer -Config @{
            entra          = @{ tenant = $Tenant; clients = @(@{ client_id = $AppId; secret = $Secret; roles = @('User.Read.All') }) }
            token_lifetime = 60
            outage         = @{ entra = @{ status = 500; after = 2 } }
        }
        $exchange = Start-TestSmtpServer -Mode starttls -CertificateFolder $SmtpCertificateFolder -OAuthUser robot@contoso.com `
            -OAuthIssuerKey $cloud.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com'
        try {
            $smtp = New-MailBackend -Smtp -Name refused -SmtpServer 127.0.0.1 -Port $exchange.Port -CertificateThumbprint $SmtpCertificate.Thumbprint `
                -UserName robot@contoso.com -TenantId $Tenant -ClientId $AppId -ClientSecret $SecureSecret -AuthorityHost $cloud.Url -RetryCount 0 -TimeoutSec 5
            $results = @(Test-MailBackend -Backend $smtp, (New-MailBackend -Memory -Name next))
            $results.Backend | Should -Be 'refused', 'next'
            $results[0].Succeeded | Should -BeFalse
            $results[0].Error | Should -Match 'SMTP\.SendAsApp'
            $results[0].Permissions | Should -Be 'User.Read.All'
            $results[1].Succeeded | Should -BeTrue
            @(Get-TestCloudEvent $cloud -Event token-outage).Count | Should -Be 0 -Because 'the permissions are read from the token AUTH used'
        }
        finally {
            $exchange | Stop-TestSmtpServer
            $cloud | Stop-TestCloudServer
        }
    }
}

Describe 'Tokens whose permissions cannot be read, or that have expired' {
    BeforeAll {
        function ConvertTo-Base64Url([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        $expired = [DateTimeOffset]::UtcNow.AddHours(-2).ToUnixTimeSeconds()
        $script:Tokens = @{
            Opaque  = 'opaque-token-from-an-unknown-issuer'
            NotJson = (ConvertTo-Base64Url '{"alg":"none"}') + '.' + (ConvertTo-Base64Url 'not json') + '.sig'
            Expired = (ConvertTo-Base64Url '{"alg":"none"}') + '.' + (ConvertTo-Base64Url "{""aud"":""https://graph.microsoft.com"",""exp"":$expired,""roles"":[""Mail.Send""]}") + '.sig'
        }
        function Start-IdentityServer([string] $Token) {
            Start-TokenServer -Extra @{ managed_identity = @{ header = $IdentityHeader; system_client_id = '44444444-4444-4444-4444-444444444444'; client_ids = @(); token = $Token } }
        }
    }
    AfterEach {
        $env:IDENTITY_ENDPOINT = $SavedEndpoint
        $env:IDENTITY_HEADER = $SavedHeader
    }

    It 'warns that the permissions are unknown for a token that is <Case>, and lists none' -ForEach @(
        @{ Case = 'not a JWT'; Kind = 'Opaque' }
        @{ Case = 'a JWT whose payload is not JSON'; Kind = 'NotJson' }
    ) {
        $server = Start-IdentityServer $Tokens[$Kind]
        try {
            Use-ManagedIdentityEndpoint $server
            $test = Test-MailBackend -Backend (New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $server.Url -RetryCount 0) -WarningVariable warned -WarningAction SilentlyContinue
            $test.Permissions | Should -BeNullOrEmpty
            $test.Detail | Should -Match 'permissions are unknown'
            "$warned" | Should -Match 'permissions'
            "$warned" | Should -Match 'Mail\.Send'
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'does not keep a token whose exp has passed, whatever expires_in said' {
        $server = Start-IdentityServer $Tokens.Expired
        try {
            Use-ManagedIdentityEndpoint $server
            $backend = New-MailBackend -Graph -ManagedIdentity -GraphEndpoint $server.Url -RetryCount 0
            $null = Test-MailBackend -Backend $backend -WarningAction SilentlyContinue
            $null = Test-MailBackend -Backend $backend -WarningAction SilentlyContinue
            @(Get-TestCloudEvent $server -Event token).Count | Should -Be 2
        }
        finally { $server | Stop-TestCloudServer }
    }
}
