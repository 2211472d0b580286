# Issue 14: Send-CompositeMail as a true drop-in for Send-MailMessage, and output people can read.
# (tests/Migration.Tests.ps1 compares real Send-MailMessage calls with their renamed twins.)
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Plain = Start-TestSmtpServer -Mode plain
    $script:CertFolder = Join-Path $TestDrive 'cert'
    $script:Certificate = New-TestCertificate -Folder $script:CertFolder
    $script:Tls = Start-TestSmtpServer -Mode starttls -CertificateFolder $script:CertFolder
    $script:Files = Join-Path $TestDrive 'files'
    $null = New-Item -ItemType Directory -Path $script:Files
    Set-Content -Path (Join-Path $script:Files 'a.log') -Value 'first'
    Set-Content -Path (Join-Path $script:Files 'b.log') -Value 'second'
    $memory = New-MailBackend -Memory
    Send-CompositeMail -Backend $memory -From ops@example.com -To jane@example.com -Subject 'Saved as eml' -Body 'As it is' | Out-Null
    $script:Eml = Join-Path $TestDrive 'saved.eml'
    Set-Content -Path $script:Eml -Value $memory.Messages[0].ToString() -NoNewline

    function Get-NewMessage($Server, [int] $Before) { @(Get-TestSmtpMessage $Server) | Select-Object -Skip $Before }
}

AfterAll {
    $script:Plain, $script:Tls | Stop-TestSmtpServer
}

Describe 'Send-MailMessage positions and piped files' {
    It 'takes To, Subject, Body and SmtpServer by position (0 to 3)' {
        $parameters = (Get-Command Send-CompositeMail).ParameterSets.Where({ $_.Name -eq 'Message' })[0].Parameters
        ($parameters | Where-Object Position -ge 0 | Sort-Object Position | ForEach-Object Name) | Should -Be 'To', 'Subject', 'Body', 'SmtpServer'
    }

    It 'sends files piped in as the attachments of ONE message when the command line names a recipient' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        Get-ChildItem (Join-Path $Files '*.log') | Send-CompositeMail -To jane@example.com -Subject logs -From ops@example.com -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorAction Stop

        $received = @(Get-NewMessage $Plain $before)
        $received.Count | Should -Be 1
        @($received[0].Message.Attachments | ForEach-Object FileName) | Should -Be 'a.log', 'b.log'
    }

    It 'sends piped .eml files as they are when no message parameter is given' {
        $memory = New-MailBackend -Memory
        $result = Get-Item $Eml | Send-CompositeMail -Backend $memory

        $result.Succeeded | Should -BeTrue
        $memory.Messages[0].Subject | Should -Be 'Saved as eml'
    }

    It 'refuses a piped file that is not .eml when no message parameter is given (it would have been an attachment)' {
        $memory = New-MailBackend -Memory
        Get-Item (Join-Path $Files 'a.log') | Send-CompositeMail -Backend $memory -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -Match 'not an \.eml file.*-To'
    }

    It 'makes piped files with message parameters but no recipient a clear error, and sends nothing' {
        $memory = New-MailBackend -Memory
        { Get-Item $Eml | Send-CompositeMail -Backend $memory -Subject 'which one?' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AmbiguousPipedFiles,PSCompositeMail.Commands.SendCompositeMailCommand' -ExpectedMessage '*unclear whether they are messages*'
        $memory.Messages.Count | Should -Be 0
    }

    It 'makes -Path with message parameters a clear error' {
        { Send-CompositeMail -Backend (New-MailBackend -Memory) -Path $Eml -To jane@example.com } |
            Should -Throw -ErrorId 'PathWithMessageParameters,PSCompositeMail.Commands.SendCompositeMailCommand'
    }
}

Describe 'The Send-MailMessage form (no -Backend)' {
    It 'writes nothing to the pipeline without -PassThru, so a wrapping function returns what it did before' {
        function Send-Alert { Send-CompositeMail jane@example.com 'alert' 'body' 127.0.0.1 -From ops@example.com -Port $Plain.Port; return $true }
        $returned = @(Send-Alert)
        $returned.Count | Should -Be 1
        $returned[0] | Should -BeTrue
    }

    It 'writes the result with -PassThru' {
        $result = Send-CompositeMail jane@example.com 'passthru' 'body' 127.0.0.1 -From ops@example.com -Port $Plain.Port -PassThru
        $result.Succeeded | Should -BeTrue
        $result.Results[0].Status | Should -Be 'Sent'
    }

    It 'writes results with -Backend, as before' {
        $result = Send-CompositeMail -Backend (New-MailBackend -Memory) @Mail
        $result.Succeeded | Should -BeTrue
    }

    It 'applies $PSEmailServer to piped rows as to a single call' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        $PSEmailServer = '127.0.0.1'
        [pscustomobject]@{ To = 'row1@example.com'; Subject = 'row 1'; Body = 'b' }, [pscustomobject]@{ To = 'row2@example.com'; Subject = 'row 2'; Body = 'b' } |
            Send-CompositeMail -From ops@example.com -Port $Plain.Port -ErrorAction Stop

        @(Get-NewMessage $Plain $before | ForEach-Object { $_.Message.Subject }) | Should -Be 'row 1', 'row 2'
    }

    It 'accepts -CertificateThumbprint, -TimeoutSec, -RetryCount and -ProtocolLog (through New-MailBackend''s recipe)' {
        $before = @(Get-TestSmtpMessage $Tls).Count
        $log = Join-Path $TestDrive 'protocol.log'
        Send-CompositeMail jane@example.com 'pinned' 'body' localhost -From ops@example.com -Port $Tls.Port -UseSsl `
            -CertificateThumbprint $Certificate.Thumbprint -TimeoutSec 10 -RetryCount 0 -ProtocolLog $log -ErrorAction Stop

        @(Get-NewMessage $Tls $before).Count | Should -Be 1
        Get-Content $log -Raw | Should -Match 'STARTTLS'
    }

    It 'accepts -SkipCertificateCheck, with the warning New-MailBackend gives' {
        $before = @(Get-TestSmtpMessage $Tls).Count
        Send-CompositeMail jane@example.com 'unchecked' 'body' localhost -From ops@example.com -Port $Tls.Port -UseSsl -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop

        @(Get-NewMessage $Tls $before).Count | Should -Be 1
        "$warnings" | Should -Match 'Certificate checks are off'
    }

    It 'suggests, on a refused certificate, only parameters this form accepts' {
        Send-CompositeMail jane@example.com 'refused' 'body' localhost -From ops@example.com -Port $Tls.Port -UseSsl -RetryCount 0 -ErrorVariable failures -ErrorAction SilentlyContinue

        "$($failures[0])" | Should -Match 'certificate'
        $suggested = [regex]::Matches("$($failures[0])", '(?<=\s)-([A-Z]\w+)') | ForEach-Object { $_.Groups[1].Value }
        $suggested | Should -Not -BeNullOrEmpty
        $accepted = (Get-Command Send-CompositeMail).Parameters.Keys
        foreach ($name in $suggested) { $accepted | Should -Contain $name -Because "the error suggests -$name" }
    }
}

Describe 'Contradictions are errors' {
    It 'refuses -UseSsl with -Security None and sends nothing' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        { Send-CompositeMail @Mail -SmtpServer 127.0.0.1 -Port $Plain.Port -UseSsl -Security None } |
            Should -Throw -ErrorId 'UseSslWithSecurityNone,PSCompositeMail.Commands.SendCompositeMailCommand'
        @(Get-TestSmtpMessage $Plain).Count | Should -Be $before
    }

    It 'refuses -Backend with -SmtpServer (and the other SMTP parameters of the Send-MailMessage form)' {
        $memory = New-MailBackend -Memory
        { Send-CompositeMail -Backend $memory @Mail -SmtpServer 127.0.0.1 } |
            Should -Throw -ErrorId 'BackendWithSmtpParameters,PSCompositeMail.Commands.SendCompositeMailCommand' -ExpectedMessage '*-SmtpServer*'
        { Send-CompositeMail -Backend $memory @Mail -UseSsl } | Should -Throw -ErrorId 'BackendWithSmtpParameters,PSCompositeMail.Commands.SendCompositeMailCommand'
        $memory.Messages.Count | Should -Be 0
    }

    It 'warns when -DeliveryNotificationOption goes to a server that does not offer DSN' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $result = Send-CompositeMail -Backend $smtp @Mail -DeliveryNotificationOption OnFailure -WarningVariable warnings -WarningAction SilentlyContinue

        $result.Succeeded | Should -BeTrue
        "$warnings" | Should -Match 'does not offer DSN'
    }
}

Describe 'Confirmation as Send-MailMessage users work' {
    It 'has ConfirmImpact Low, so $ConfirmPreference = ''Medium'' does not ask' {
        (Get-Command Send-CompositeMail).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'Low'
    }

    It 'sends in a non-interactive session with $ConfirmPreference = ''Medium'' (a scheduled task)' {
        $script = Join-Path $TestDrive 'scheduled.ps1'
        Set-Content -Path $script -Value @"
`$ErrorActionPreference = 'Stop'
Import-Module '$((Resolve-Path $ModulePath).Path)'
`$ConfirmPreference = 'Medium'
Send-CompositeMail jane@example.com 'scheduled' 'body' 127.0.0.1 -From ops@example.com -Port $($Plain.Port)
'sent'
"@
        $run = Invoke-TestPwsh -File $script
        $run.Output | Should -Match 'sent'
        $run.ExitCode | Should -Be 0
    }
}

Describe '-Encoding takes every name Send-MailMessage takes' {
    It 'accepts <_>' -ForEach 'ascii', 'ansi', 'bigendianunicode', 'bigendianutf32', 'oem', 'unicode', 'utf7', 'utf8', 'utf8BOM', 'utf8NoBOM', 'utf32', 'string', 'unknown' {
        $memory = New-MailBackend -Memory
        $result = Send-CompositeMail -Backend $memory @Mail -Encoding $_
        $result.Succeeded | Should -BeTrue
    }

    It 'takes ansi as PowerShell does: the culture''s ANSI code page' {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory @Mail -Body 'café' -Encoding ansi
        $expected = [Text.Encoding]::GetEncoding([cultureinfo]::CurrentCulture.TextInfo.ANSICodePage).WebName
        $memory.Messages[0].ToString() | Should -Match "charset=`"?$expected"
    }

    It 'takes a code page number and an Encoding object' {
        $memory = New-MailBackend -Memory
        (Send-CompositeMail -Backend $memory @Mail -Encoding 1252).Succeeded | Should -BeTrue
        (Send-CompositeMail -Backend $memory @Mail -Encoding ([Text.Encoding]::UTF8)).Succeeded | Should -BeTrue
    }
}

Describe 'Output people can read at 80 columns' {
    It 'Get-MailSpool shows which backend failed and the whole error, wrapped not cut' {
        $spool = Join-Path $TestDrive 'spool80'
        $failing = New-MailBackend -ScriptBlock { throw 'The relay refused the message because the mailbox quota of the recipient is exceeded' } -Name 'relay-primary'
        $null = Send-CompositeMail -Backend $failing @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        $text = Get-MailSpool -Path $spool | Out-String -Width 80
        $text | Should -Match 'relay-primary'
        ($text -replace '\s+', ' ') | Should -Match 'mailbox quota of the recipient is exceeded'
        ($text -split "`n" | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
    }

    It 'at 160 columns the error is not cut mid-word' {
        $spool = Join-Path $TestDrive 'spool160'
        $long = 'Delivery failed: ' + ((1..40 | ForEach-Object { "word$_" }) -join ' ')
        $failing = New-MailBackend -ScriptBlock ([scriptblock]::Create("throw '$long'")) -Name 'relay'
        $null = Send-CompositeMail -Backend $failing @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        $text = Get-MailSpool -Path $spool | Out-String -Width 160
        $text | Should -Not -Match '…'
        ($text -replace '\s+', ' ') | Should -Match ([regex]::Escape($long))
        foreach ($word in 1..40 | ForEach-Object { "word$_" }) { $text | Should -Match "\b$word\b" -Because 'no word is split across lines' }
    }

    It 'the per-backend table heads the success detail and the failure error honestly' {
        $directory = New-MailBackend -Directory (Join-Path $TestDrive 'outbox80')
        $failing = New-MailBackend -ScriptBlock { throw 'no route' } -Name 'broken'
        $result = Send-CompositeMail -Backend $directory, $failing @Mail -Policy Any -WarningAction SilentlyContinue
        $text = $result.Results | Out-String -Width 80

        $header = @($text -split "`n" | Where-Object { $_ -match '^Backend' })[0]
        $header | Should -Match 'Detail or error'
        $header | Should -Not -CMatch '\bError\b'
        $text | Should -Match 'no route'
        $text | Should -Match '\.eml'
    }

    It 'a composite that delivered through some members only says so in its row' {
        $composite = New-MailBackend -Composite -Name pair -Policy Any -Backend (New-MailBackend -Memory -Name kept), (New-MailBackend -ScriptBlock { throw 'no route' } -Name broken)
        $result = Send-CompositeMail -Backend $composite @Mail -WarningAction SilentlyContinue
        $row = $result.Results | Where-Object Backend -EQ 'pair'

        $row.Status | Should -Be 'Sent'
        $row.Detail | Should -Match 'through kept only.*broken.*no route'
        ($result.Results | Out-String -Width 80) | Should -Match 'through kept only'
    }

    It 'the result table names each backend and its status' {
        $result = Send-CompositeMail -Backend (New-MailBackend -Memory -Name archive-copy), (New-MailBackend -Null -Name discard-copy) @Mail
        $text = $result | Out-String -Width 80
        $text | Should -Match 'archive-copy:\s+Sent'
        $text | Should -Match 'discard-copy:\s+Sent'
    }

    It 'Test-MailBackend shows each member of a composite readably' {
        $composite = New-MailBackend -Composite -Backend (New-MailBackend -Memory -Name keep), (New-MailBackend -Null -Name drop) -Name both
        $result = Test-MailBackend -Backend $composite
        $table = $result | Out-String -Width 80
        $list = $result | Format-List | Out-String -Width 80

        foreach ($text in $table, $list) {
            $text | Should -Not -Match 'PSCompositeMail\.Results\.BackendTestResult'
            $text | Should -Match 'keep: ok'
            $text | Should -Match 'drop: ok'
        }
    }
}

Describe 'Import-MailBackend -Environment completion' {
    It 'completes the environment names of the file given by -Path' {
        $profile = Join-Path $TestDrive 'envs.psd1'
        Set-Content -Path $profile -Value "@{ Development = @{ Backends = @( @{ Type = 'Console' } ) }; Production = @{ Backends = @( @{ Type = 'Null' } ) }; Staging = @{ Backends = @( @{ Type = 'Null' } ) } }"
        $line = "Import-MailBackend -Path '$profile' -Environment "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'Development', 'Production', 'Staging'
        $line = "Import-MailBackend -Path '$profile' -Environment Pr"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'Production'
    }
}

Describe 'Help for the drop-in points' {
    It 'documents the Send-MailMessage form: positions, piped files rule, -PassThru, contradictions and confirmation' {
        $help = (Get-Help Send-CompositeMail -Full | Out-String -Width 1000) -replace '\s+', ' '
        foreach ($point in 'SmtpServer 3', 'attachment of the one message', 'AmbiguousPipedFiles', 'PathWithMessageParameters',
            'unless -PassThru', 'UseSslWithSecurityNone', 'BackendWithSmtpParameters', 'ConfirmImpact Low', '\$PSEmailServer applies to rows') {
            $help | Should -Match $point
        }
    }

    It 'documents each SMTP parameter the Send-MailMessage form accepts' -ForEach 'SkipCertificateCheck', 'CertificateThumbprint', 'TimeoutSec', 'RetryCount', 'ProtocolLog', 'PassThru' {
        (Get-Help Send-CompositeMail -Parameter $_).Description.Text | Should -Match 'Without -Backend'
    }

    It 'lists every -Encoding name Send-MailMessage takes' {
        $text = (Get-Help Send-CompositeMail -Parameter Encoding).Description.Text
        foreach ($name in 'ascii', 'ansi', 'bigendianunicode', 'bigendianutf32', 'oem', 'unicode', 'utf7', 'utf8', 'utf8BOM', 'utf8NoBOM', 'utf32', 'string', 'unknown') { $text | Should -Match "\b$name\b" }
    }

    It 'says -Environment completes, and that CredentialFile is safe on Windows only' {
        (Get-Help Import-MailBackend -Parameter Environment).Description.Text | Should -Match 'Tab completes'
        (Get-Help Import-MailBackend).Description.Text -join ' ' | Should -Match 'only on Windows'
    }
}

Describe 'One SMTP mapping for both forms' {
    BeforeAll {
        # A parameter's validation as text (each attribute's type and settings), so two declarations can be compared.
        function Get-ValidationText($Parameter) {
            $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateArgumentsAttribute] -or $_ -is [System.Management.Automation.ArgumentTransformationAttribute] } |
                ForEach-Object { "$($_.GetType().Name) $($_ | Select-Object * -ExcludeProperty TypeId | ConvertTo-Json -Compress -Depth 3)" } |
                Sort-Object
        }
    }

    It 'accepts in the Send-MailMessage form every parameter of New-MailBackend -Smtp (a new one fails here until it is declared)' {
        $smtpSet = (Get-Command New-MailBackend).ParameterSets | Where-Object Name -eq 'Smtp'
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $accepted = (Get-Command Send-CompositeMail).Parameters
        foreach ($parameter in $smtpSet.Parameters | Where-Object { $_.Name -notin $common -and $_.Name -notin 'Smtp', 'Name' }) {
            $accepted.Keys | Should -Contain $parameter.Name -Because "New-MailBackend -Smtp takes -$($parameter.Name)"
            $accepted[$parameter.Name].ParameterType | Should -Be $parameter.ParameterType
            Get-ValidationText $accepted[$parameter.Name] | Should -Be (Get-ValidationText $parameter) -Because "-$($parameter.Name) is validated alike in both forms"
        }
    }
}

Describe 'Backends piped into the Send-MailMessage form' {
    It 'refuses backends piped into a call with -SmtpServer, and sends nothing' {
        $memory = New-MailBackend -Memory
        { $memory | Send-CompositeMail @Mail -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorAction Stop } |
            Should -Throw -ErrorId 'BackendWithSmtpParameters,PSCompositeMail.Commands.SendCompositeMailCommand'
        $memory.Messages.Count | Should -Be 0
    }

    It 'still sends one message through backends piped in without -SmtpServer, and writes its result' {
        $first, $second = (New-MailBackend -Memory -Name first), (New-MailBackend -Memory -Name second)
        $result = $first, $second | Send-CompositeMail @Mail
        $result.Results.Backend | Should -Be 'first', 'second'
        $first.Messages.Count + $second.Messages.Count | Should -Be 2
    }
}

Describe 'A credential in clear under an explicit -Security None' {
    BeforeAll {
        $script:Authenticating = Start-TestSmtpServer -Mode plain -User mailer -Password 'clear-secret'
        $script:Mailer = [pscredential]::new('mailer', (ConvertTo-SecureString 'clear-secret' -AsPlainText -Force))
    }
    AfterAll { $script:Authenticating | Stop-TestSmtpServer }

    It 'sends as the user said, with one warning naming the risk and the fix' {
        $before = @(Get-TestSmtpMessage $Authenticating).Count
        Send-CompositeMail jane@example.com 'clear auth' 'body' 127.0.0.1 -From ops@example.com -Port $Authenticating.Port -Security None -Credential $Mailer `
            -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop

        @(Get-NewMessage $Authenticating $before).Count | Should -Be 1
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match 'sends the password for 127\.0\.0\.1 in clear text'
        "$warnings" | Should -Match 'Drop -Security None.*-Security StartTls or SslOnConnect'
    }

    It 'does not warn without a credential' {
        Send-CompositeMail jane@example.com 'no auth' 'body' 127.0.0.1 -From ops@example.com -Port $Plain.Port -Security None `
            -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        $warnings | Should -BeNullOrEmpty
    }

    It 'does not warn when the connection is encrypted' {
        Send-CompositeMail jane@example.com 'encrypted' 'body' localhost -From ops@example.com -Port $Tls.Port -UseSsl -CertificateThumbprint $Certificate.Thumbprint `
            -Credential $Mailer -RetryCount 0 -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $warnings | Should -BeNullOrEmpty
    }

    It 'is documented in the help of the parameters whose behaviour changed' {
        (Get-Help New-MailBackend -Parameter Credential).Description.Text | Should -Match 'clear text and New-MailBackend warns'
        (Get-Help Send-CompositeMail -Parameter Credential).Description.Text | Should -Match 'clear text and a warning says so'
        (Get-Help Send-CompositeMail -Parameter Encoding).Description.Text | Should -Match 'applies to the subject too'
        (Get-Help Send-CompositeMail -Parameter Headers).Description.Text -join ' ' | Should -Match 'Return-Path \(use -Sender\)'
    }

    It 'warns for a profile backend too (Import-MailBackend builds it from the same recipe)' {
        $profile = Join-Path $TestDrive 'clear.psd1'
        Set-Content $profile "@{ Dev = @{ Backends = @( @{ Type = 'Smtp'; SmtpServer = 'relay.example.com'; Security = 'None'; Credential = @{ UserNameEnv = 'PSCM_CLEAR_USER'; PasswordEnv = 'PSCM_CLEAR_PASSWORD' } } ) } }"
        $env:PSCM_CLEAR_USER = 'mailer'
        $env:PSCM_CLEAR_PASSWORD = 'clear-secret'
        try { $null = Import-MailBackend -Path $profile -Environment Dev -WarningVariable warnings -WarningAction SilentlyContinue }
        finally { Remove-Item Env:PSCM_CLEAR_USER, Env:PSCM_CLEAR_PASSWORD }
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match 'password for relay\.example\.com in clear text'
    }
}

Describe 'Renamed Send-MailMessage scripts that a hostile migration tried' {
    BeforeAll {
        $script:Refusing = Start-TestSmtpServer -Mode plain -RejectRecipient bad
    }
    AfterAll { $script:Refusing | Stop-TestSmtpServer }

    It 'refuses -UseSsl with -Security StartTlsWhenAvailable (it would send in clear to a server without STARTTLS)' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        { Send-CompositeMail @Mail -SmtpServer 127.0.0.1 -Port $Plain.Port -UseSsl -Security StartTlsWhenAvailable } |
            Should -Throw -ErrorId 'UseSslWithStartTlsWhenAvailable,PSCompositeMail.Commands.SendCompositeMailCommand'
        @(Get-TestSmtpMessage $Plain).Count | Should -Be $before
    }

    It 'sends the command line''s message when the pipeline brings nothing (Get-ChildItem matched no file), as Send-MailMessage does' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        Get-ChildItem (Join-Path $Files '*.nomatch') | Send-CompositeMail -To jane@example.com -Subject 'Nightly errors' -Body 'none' -From ops@example.com -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorAction Stop

        @(Get-NewMessage $Plain $before).Message.Subject | Should -Be 'Nightly errors'

        $memory = New-MailBackend -Memory
        $result = @() | Send-CompositeMail -Backend $memory @Mail -ErrorAction Stop
        $result.Succeeded | Should -BeTrue
    }

    It 'sends nothing, without an error, when an empty pipeline had rows to bring the recipients (<Case>)' -ForEach @(
        @{ Case = 'no recipient on the command line'; Extra = @{} }
        @{ Case = 'a delay-bind script block'; Extra = @{ To = 'jane@example.com'; Subject = { "for $_" } } }
    ) {
        $memory = New-MailBackend -Memory
        $result = @() | Send-CompositeMail -Backend $memory -From ops@example.com @Extra -ErrorVariable failures
        $result | Should -BeNullOrEmpty
        $failures | Should -BeNullOrEmpty
        $memory.Messages.Count | Should -Be 0
    }

    It 'attaches a file whose name holds wildcard characters as named (<How>), not the files it matches as a pattern' -ForEach @(
        @{ How = 'a path'; Give = { param($p) $p } }
        @{ How = 'a FileInfo'; Give = { param($p) Get-Item -LiteralPath $p } }
    ) {
        $folder = Join-Path $TestDrive "wild-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $folder
        Set-Content -LiteralPath (Join-Path $folder 'x[12].txt') -Value 'literal'
        Set-Content -LiteralPath (Join-Path $folder 'x1.txt') -Value 'one'
        Set-Content -LiteralPath (Join-Path $folder 'x2.txt') -Value 'two'
        $memory = New-MailBackend -Memory

        $null = Send-CompositeMail -Backend $memory @Mail -Attachments (& $Give (Join-Path $folder 'x[12].txt')) -ErrorAction Stop

        $text = $memory.Messages[0].ToString()
        $text | Should -Match 'filename="?x\[12\]\.txt'
        $text | Should -Not -Match 'filename="?x[12]\.txt'
    }

    It 'makes a recipient refused for good an error in the Send-MailMessage form (Send-MailMessage throws), the others still getting it' {
        $before = @(Get-TestSmtpMessage $Refusing).Count
        $caught = $null
        try {
            Send-CompositeMail -To jane@example.com, bad@example.com -Subject 'partly' -Body b -From ops@example.com -SmtpServer 127.0.0.1 -Port $Refusing.Port -ErrorAction Stop -WarningAction SilentlyContinue
        }
        catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'RecipientsRefused,PSCompositeMail.Commands.SendCompositeMailCommand'
        "$caught" | Should -Match 'bad@example\.com'
        @(Get-NewMessage $Refusing $before).RcptTo | Should -Be 'jane@example.com'
    }

    It 'keeps <Abbreviation> meaning -<Parameter>, as with Send-MailMessage' -ForEach @(
        @{ Abbreviation = 'Use'; Parameter = 'UseSsl' }, @{ Abbreviation = 'Us'; Parameter = 'UseSsl' }, @{ Abbreviation = 'U'; Parameter = 'UseSsl' }
        @{ Abbreviation = 'Po'; Parameter = 'Port' }, @{ Abbreviation = 'Enc'; Parameter = 'Encoding' }
    ) {
        $command = Get-Command Send-CompositeMail
        $command.ResolveParameter($Abbreviation).Name | Should -Be $Parameter
        (Get-Command Send-MailMessage).ResolveParameter($Abbreviation).Name | Should -Be $Parameter
    }

    It 'suggests -Security None, on a refused certificate without -UseSsl, to send unencrypted as Send-MailMessage did' {
        $failure = $null
        try { Send-CompositeMail @Mail -SmtpServer localhost -Port $Tls.Port -RetryCount 0 -ErrorAction Stop } catch { $failure = $_ }
        "$failure" | Should -Match 'was refused'
        "$failure" | Should -Match '-Security None'
    }
}
