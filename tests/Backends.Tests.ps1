# Backends seen from Send-CompositeMail: the console copy on its streams, and what capturing backends hold.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Server = Start-TestSmtpServer -Mode plain
    $script:Smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $script:Server.Port -Security None -TimeoutSec 10

    function Get-MessageCopy {
        <# The console copies among whatever records a call wrote: one per message shown. #>
        param([object[]] $Records, [string] $Subject)
        @($Records | Where-Object {
                $text = if ($_ -is [System.Management.Automation.InformationRecord]) { "$($_.MessageData)" } else { "$($_.Message)" }
                $text -match '----- message -----' -and $text -match "Subject: $([regex]::Escape($Subject))"
            })
    }

    function Get-ReceivedSubject { @(Get-TestSmtpMessage $script:Server | ForEach-Object { $_.Message.Subject }) }
}

AfterAll { $script:Server | Stop-TestSmtpServer }

Describe 'New-MailBackend -Console -Stream Verbose' {
    It 'writes nothing to any stream without -Verbose, and still delivers over SMTP' {
        $console = New-MailBackend -Console -Stream Verbose
        $records = & { $smtp, $console | Send-CompositeMail @Mail -Subject 'quiet in production' | Out-Null } *>&1

        @($records) | Should -HaveCount 0
        Get-ReceivedSubject | Should -Contain 'quiet in production'
    }

    It 'shows the message once on the verbose stream with -Verbose' {
        $console = New-MailBackend -Console -Stream Verbose
        $records = @(& { $Smtp, $console | Send-CompositeMail @Mail -Subject 'shown with -Verbose' -Verbose | Out-Null } 4>&1)

        $copies = Get-MessageCopy $records 'shown with -Verbose'
        $copies | Should -HaveCount 1
        $copies[0] | Should -BeOfType [System.Management.Automation.VerboseRecord]
        $copies[0].Message | Should -Match '(?m)^To: jane@example\.com$'
        Get-ReceivedSubject | Should -Contain 'shown with -Verbose'
    }

    It 'follows $VerbosePreference in the caller''s scope' {
        $console = New-MailBackend -Console -Stream Verbose -Format Summary
        $records = @(& {
                $VerbosePreference = 'Continue'
                $Smtp, $console | Send-CompositeMail @Mail -Subject 'preference on' | Out-Null
            } 4>&1)

        $summary = @($records | Where-Object { $_.Message -match '^Mail .* -> jane@example\.com: preference on <' })
        $summary | Should -HaveCount 1
    }

    It 'writes one copy per message from the pipeline thread at -ThrottleLimit <Limit>' -ForEach @(@{ Limit = 1 }, @{ Limit = 4 }) {
        $console = New-MailBackend -Console -Stream Verbose
        $subjects = 1..8 | ForEach-Object { "parallel $Limit-$_" }
        $records = @(& {
                $subjects | ForEach-Object { [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = $_; Body = 'b' } } |
                    Send-CompositeMail -Backend $Smtp, $console -ThrottleLimit $Limit -Verbose | Out-Null
            } 4>&1)

        foreach ($subject in $subjects) { Get-MessageCopy $records $subject | Should -HaveCount 1 }
        $received = Get-ReceivedSubject
        foreach ($subject in $subjects) { $received | Should -Contain $subject }
    }
}

Describe 'New-MailBackend -Console -Stream Debug' {
    It 'writes nothing without -Debug' {
        $records = & { Send-CompositeMail -Backend $Smtp, (New-MailBackend -Console -Stream Debug) @Mail -Subject 'debug off' | Out-Null } *>&1
        @($records) | Should -HaveCount 0
        Get-ReceivedSubject | Should -Contain 'debug off'
    }

    It 'shows the message once on the debug stream with -Debug' {
        $records = @(& { Send-CompositeMail -Backend $Smtp, (New-MailBackend -Console -Stream Debug) @Mail -Subject 'debug on' -Debug | Out-Null } 5>&1)
        $copies = Get-MessageCopy $records 'debug on'
        $copies | Should -HaveCount 1
        $copies[0] | Should -BeOfType [System.Management.Automation.DebugRecord]
    }

    It 'follows $DebugPreference = ''Continue''' {
        $records = @(& {
                $DebugPreference = 'Continue'
                Send-CompositeMail -Backend $Smtp, (New-MailBackend -Console -Stream Debug) @Mail -Subject 'debug preference' | Out-Null
            } 5>&1)
        Get-MessageCopy $records 'debug preference' | Should -HaveCount 1
    }
}

Describe 'New-MailBackend -Console -Stream Information' {
    It 'is the default, tagged PSCompositeMail, and names its stream in the description' {
        $console = New-MailBackend -Console
        $console.Stream | Should -Be 'Information'
        $console.Description | Should -Be 'Information stream (Full)'
        (New-MailBackend -Console -Stream Debug -Format Summary).Description | Should -Be 'Debug stream (Summary)'
        $null = Send-CompositeMail -Backend $console @Mail -Subject 'information' -InformationVariable info -InformationAction SilentlyContinue
        $info | Should -HaveCount 1
        $info[0].Tags | Should -Contain 'PSCompositeMail'
    }
}

Describe 'Import-MailBackend with a console Stream' {
    It 'takes Stream in a profile' {
        $file = Join-Path $TestDrive 'mail.psd1'
        Set-Content $file "@{ Development = @{ Backends = @( @{ Type = 'Console'; Stream = 'Verbose'; Format = 'Summary' } ) } }"
        $backend = Import-MailBackend -Path $file -Environment Development
        $backend.Stream | Should -Be 'Verbose'
        $backend.Format | Should -Be 'Summary'
    }
}

Describe 'Capturing backends with a large attachment' {
    BeforeAll {
        $script:Attachment = Join-Path $TestDrive 'large.bin'
        $stream = [IO.File]::Create($script:Attachment)
        try { $buffer = [byte[]]::new(1MB); [Random]::new(7).NextBytes($buffer); foreach ($i in 1..64) { $stream.Write($buffer, 0, $buffer.Length) } }
        finally { $stream.Dispose() }

        function Measure-PeakMemory {
            <# Sends one message with the attachment through the backend in a fresh process; returns its peak working set. #>
            param([string] $Backend)
            $script = Join-Path $TestDrive "peak-$([guid]::NewGuid().ToString('N').Substring(0, 6)).ps1"
            Set-Content $script @"
Import-Module '$script:ModulePath'
`$backend = $Backend
`$sent = Send-CompositeMail -Backend `$backend -From ops@example.com -To jane@example.com -Subject large -Body b -Attachments '$script:Attachment'
if (-not `$sent.Succeeded) { throw 'not sent' }
[Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
"@
            $run = Invoke-TestPwsh -File $script
            $run.ExitCode | Should -Be 0 -Because $run.Output
            [long](($run.Output -split "`n" | Where-Object { $_ -match '^\d+\s*$' } | Select-Object -Last 1).Trim())
        }
        $script:Baseline = Measure-PeakMemory '(New-MailBackend -Null)'
    }

    It 'keeps memory flat through the <Name> backend (a 64 MB attachment adds less than half its size)' -Tag Slow -ForEach @(
        @{ Name = 'Memory'; Backend = '(New-MailBackend -Memory)' }
        @{ Name = 'ScriptBlock'; Backend = '(New-MailBackend -ScriptBlock { param($m) if ($m.Subject -ne ''large'' -or $m.Attachments -notcontains ''large.bin'') { throw ''wrong message'' } })' }
    ) {
        $peak = Measure-PeakMemory $Backend
        ($peak - $script:Baseline) | Should -BeLessThan 32MB
    }

    It 'still gives the whole MIME text when asked, and frees it on Clear()' {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory -From ops@example.com -To jane@example.com -Subject large -Body b -Attachments $script:Attachment
        $copy = $memory.Messages[0]
        $parsed = [MimeKit.MimeMessage]::Load([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($copy.ToString())))
        $decoded = [IO.MemoryStream]::new()
        @($parsed.Attachments)[0].Content.DecodeTo($decoded)
        $decoded.Length | Should -Be 64MB
        $memory.Clear()
        { $copy.ToString() } | Should -Throw '*cleared*'
    }
}

Describe 'A ScriptBlock backend that writes an error' {
    It 'has failed whatever the caller''s $ErrorActionPreference (<Preference>), so a Failover composite moves on' -ForEach @(
        @{ Preference = 'SilentlyContinue' }, @{ Preference = 'Ignore' }, @{ Preference = 'Continue' }
    ) {
        $archive = New-MailBackend -ScriptBlock { param($m) Write-Error 'disk full, not stored' } -Name archive
        $backup = New-MailBackend -Memory -Name backup
        $result = & {
            $ErrorActionPreference = $Preference
            Send-CompositeMail -Backend (New-MailBackend -Composite -Backend $archive, $backup -Policy Failover) @Mail -WarningAction SilentlyContinue
        }
        $result.Results[0].Results[0].Status | Should -Be 'Failed'
        $result.Results[0].Results[0].Error | Should -Match 'disk full, not stored'
        $backup.Messages | Should -HaveCount 1
    }

    It 'is still quiet when the block itself chooses -ErrorAction SilentlyContinue' {
        $tolerant = New-MailBackend -ScriptBlock { param($m) Get-Item /no/such/file -ErrorAction SilentlyContinue; 'stored' } -Name tolerant
        $result = Send-CompositeMail -Backend $tolerant @Mail
        $result.Results[0].Status | Should -Be 'Sent'
    }
}

Describe 'What people see of a message' {
    It 'escapes control characters and bidirectional overrides in the result table' {
        # A subject cannot hold them any more (refused as header text); a backend's name, the caller's own text, can.
        $name = "$([char]27)$([char]0x202E)"
        $result = Send-CompositeMail -Backend (New-MailBackend -Null -Name $name) @Mail
        $table = $result.Results | Format-Table | Out-String -Width 200
        foreach ($raw in [char]27, [char]0x202E) { $table.Contains([string]$raw) | Should -BeFalse }
        $table | Should -Match ([regex]::Escape('\x1B\u202E'))
        $result.Results[0].Backend | Should -Be $name
    }

    It 'attaches an .eml file as a file, never as a base64 message/rfc822 part' {
        $eml = Join-Path $TestDrive 'forwarded.eml'
        Set-Content $eml "From: a@example.com`r`nTo: b@example.com`r`nSubject: inner`r`n`r`nbody"
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory @Mail -Attachments $eml
        $parsed = [MimeKit.MimeMessage]::Load([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($memory.Messages[0].ToString())))
        $attachment = @($parsed.Attachments)[0]
        $attachment.ContentType.MimeType | Should -Be 'application/octet-stream'
        $attachment.FileName | Should -Be 'forwarded.eml'
    }
}
