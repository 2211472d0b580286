BeforeAll {
    . $PSScriptRoot/common.ps1
}

Describe 'Send-CompositeMail through several backends' {
    It 'sends one message through every backend and returns one result' {
        $a = New-MailBackend -Memory -Name a
        $b = New-MailBackend -Memory -Name b
        $result = Send-CompositeMail -Backend $a, $b @Mail

        @($result).Count | Should -Be 1
        $result.Succeeded | Should -BeTrue
        $result.Subject | Should -Be 'Disk report'
        $result.To | Should -Be 'jane@example.com'
        $result.MessageId | Should -Not -BeNullOrEmpty
        $result.Results.Backend | Should -Be 'a', 'b'
        $result.Results.Status | Should -Be 'Sent', 'Sent'
        $a.Messages.Count | Should -Be 1
        $b.Messages[0].MessageId | Should -Be $result.MessageId
    }

    It 'tells how long each backend took' {
        $slow = New-MailBackend -ScriptBlock { Start-Sleep -Milliseconds 300 } -Name slow
        $fast = New-MailBackend -Memory -Name fast
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $result = Send-CompositeMail -Backend $slow, $fast @Mail
        $clock.Stop()

        $result.Results.Backend | Should -Be 'slow', 'fast'
        # Each backend's own time: the slow one's holds its sleep, the one after it does not; none is longer than the call.
        $result.Results[0].Duration | Should -BeGreaterOrEqual ([timespan]::FromMilliseconds(300))
        $result.Results[1].Duration | Should -BeGreaterThan ([timespan]::Zero)
        $result.Results[1].Duration | Should -BeLessThan $result.Results[0].Duration
        $result.Results | ForEach-Object { $_.Duration | Should -BeLessOrEqual $clock.Elapsed }
    }

    It 'takes backends from the pipeline for one message given by parameters' {
        $a = New-MailBackend -Memory -Name a
        $b = New-MailBackend -Memory -Name b
        $result = $a, $b | Send-CompositeMail @Mail
        @($result).Count | Should -Be 1
        $result.Results.Backend | Should -Be 'a', 'b'
        $a.Messages.Count + $b.Messages.Count | Should -Be 2
    }

    It 'keeps going when a backend throws: the console still shows the message (the motivating case)' {
        $broken = New-MailBackend -ScriptBlock { throw 'relay exploded' } -Name broken
        $console = New-MailBackend -Console
        $output = $broken, $console | Send-CompositeMail @Mail -ErrorVariable failures -ErrorAction SilentlyContinue 6>&1
        $result = $output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $shown = $output | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }

        $shown.MessageData.Message | Should -Match 'Subject: Disk report'
        $result.Succeeded | Should -BeFalse
        $result.Results.Status | Should -Be 'Failed', 'Sent'
        $result.Results[0].Error | Should -Be 'relay exploded'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'MessageNotDelivered,PSCompositeMail.Commands.SendCompositeMailCommand'
        $failures[0].Exception.Message | Should -Match "backend 'broken' failed: relay exploded"
        $failures[0].TargetObject | Should -Be $result
    }

    It 'stops the pipeline with -ErrorAction Stop' {
        $broken = New-MailBackend -ScriptBlock { throw 'nope' } -Name broken
        $after = New-MailBackend -Memory
        { Send-CompositeMail -Backend $broken @Mail -ErrorAction Stop; Send-CompositeMail -Backend $after @Mail } |
            Should -Throw -ErrorId 'MessageNotDelivered,PSCompositeMail.Commands.SendCompositeMailCommand'
        $after.Messages.Count | Should -Be 0
    }

    It 'stops under $ErrorActionPreference = Stop' {
        $broken = New-MailBackend -ScriptBlock { throw 'nope' } -Name broken
        {
            $ErrorActionPreference = 'Stop'
            Send-CompositeMail -Backend $broken @Mail
        } | Should -Throw "*backend 'broken' failed: nope*"
    }
}

Describe 'Delivery policies with a failing backend first, in the middle and last' {
    BeforeDiscovery {
        $cases = foreach ($policy in 'All', 'Primary', 'Any', 'Failover') {
            foreach ($position in 0, 1, 2) {
                $expected = switch ($policy) {
                    'All' { $false }
                    'Primary' { $position -ne 0 }
                    default { $true }
                }
                @{ Policy = $policy; Position = $position; Expected = $expected }
            }
        }
    }

    It '<Policy> with backend <Position> failing: succeeded is <Expected>' -ForEach $cases {
        $backends = 0..2 | ForEach-Object {
            if ($_ -eq $Position) { New-MailBackend -ScriptBlock { throw 'down' } -Name "b$_" } else { New-MailBackend -Memory -Name "b$_" }
        }
        $result = Send-CompositeMail -Backend $backends -Policy $Policy @Mail -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        $result.Succeeded | Should -Be $Expected
        $result.Policy | Should -Be $Policy
        # Failover stops at the first backend that works; every other policy attempts them all.
        $lastAttempted = if ($Policy -eq 'Failover') { [int]($Position -eq 0) } else { 2 }
        foreach ($i in 0..2) {
            $expectedStatus = if ($i -gt $lastAttempted) { 'Skipped' } elseif ($i -eq $Position) { 'Failed' } else { 'Sent' }
            $result.Results[$i].Status | Should -Be $expectedStatus
            if ($i -ne $Position) { $backends[$i].Messages.Count | Should -Be ([int]($expectedStatus -eq 'Sent')) }
        }
        if ($Position -le $lastAttempted) { $result.Results[$Position].Error | Should -Be 'down' }
    }

    It 'writes a warning naming the failed backend when only a fallback delivered' {
        $primary = New-MailBackend -ScriptBlock { throw 'primary relay down' } -Name primary
        $backup = New-MailBackend -Memory -Name backup
        $result = Send-CompositeMail -Backend $primary, $backup -Policy Failover @Mail -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Succeeded | Should -BeTrue
        $result.DeliveredBy | Should -Be 'backup'
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match "backend 'primary' failed: primary relay down"
    }

    It 'reports a nested failover composite inside another composite' {
        $relays = New-MailBackend -Composite -Name relays -Policy Failover -Backend @(
            New-MailBackend -ScriptBlock { throw 'relay1 down' } -Name relay1
            New-MailBackend -Memory -Name relay2
        )
        $result = Send-CompositeMail -Backend $relays, (New-MailBackend -Null) @Mail -WarningAction SilentlyContinue
        $result.Succeeded | Should -BeTrue
        $result.Results[0].Results.Status | Should -Be 'Failed', 'Sent'
    }
}

Describe 'The console backend' {
    It 'writes the whole message to the Information stream, tagged PSCompositeMail' {
        $console = New-MailBackend -Console
        $null = Send-CompositeMail -Backend $console @Mail -Cc 'cc@example.com' -InformationVariable info -InformationAction SilentlyContinue
        $info.Count | Should -Be 1
        $info[0].Tags | Should -Contain 'PSCompositeMail'
        $text = $info[0].MessageData.Message
        $text | Should -Match '(?m)^Date: '
        $text | Should -Match '(?m)^Message-ID: <.+@example\.com>$'
        $text | Should -Match '(?m)^From: ops@example\.com$'
        $text | Should -Match '(?m)^To: jane@example\.com$'
        $text | Should -Match '(?m)^Cc: cc@example\.com$'
        $text | Should -Match '(?m)^All fine\.$'
    }

    It 'is visible by default, like Write-Host, and never writes to Console.Out' {
        $probe = Join-Path $TestDrive 'console.ps1'
        Set-Content $probe @"
Import-Module '$script:ModulePath'
`$null = Send-CompositeMail -Backend (New-MailBackend -Console) -From ops@example.com -To jane@example.com -Subject visible -Body text
"@
        (Invoke-TestPwsh -File $probe).Output | Should -Match 'Subject: visible'

        $writer = [System.IO.StringWriter]::new()
        $original = [Console]::Out
        [Console]::SetOut($writer)
        try { $null = Send-CompositeMail -Backend (New-MailBackend -Console) @Mail 6>$null }
        finally { [Console]::SetOut($original) }
        $writer.ToString() | Should -BeNullOrEmpty
    }

    It 'decodes headers and lists attachments by name and size' {
        $file = Join-Path $TestDrive 'report.csv'
        Set-Content $file ('x' * 99) -NoNewline
        $output = Send-CompositeMail -Backend (New-MailBackend -Console) -From ops@example.com -To jane@example.com -Subject 'Grüße 你好' -Body b -Attachments $file 6>&1
        $text = ($output | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }).MessageData.Message
        $text | Should -Match 'Subject: Grüße 你好'
        $text | Should -Match 'Attachment: report\.csv \(text/csv, 99 bytes\)'
    }

    It 'has a one-line Summary format' {
        $output = Send-CompositeMail -Backend (New-MailBackend -Console -Format Summary) @Mail 6>&1
        $text = ($output | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }).MessageData.Message
        $text | Should -Match '^Mail .* ops@example\.com -> jane@example\.com: Disk report <.+>$'
    }
}

Describe 'The directory backend' {
    It 'writes one .eml per message that parses back, creating the folder' {
        $outbox = Join-Path $TestDrive 'new/outbox'
        $folder = New-MailBackend -Directory $outbox
        $results = 1..3 | ForEach-Object { Send-CompositeMail -Backend $folder @Mail -Subject "Report $_" -Bcc 'secret@example.com' }

        $files = Get-ChildItem $outbox | Sort-Object Name
        $files.Count | Should -Be 3
        $files.Extension | Sort-Object -Unique | Should -Be '.eml'
        $files.FullName | Should -Be $results.Results.Detail
        $parsed = $files | ForEach-Object { Read-EmlFile $_.FullName }
        $parsed.Subject | Should -Be 'Report 1', 'Report 2', 'Report 3'
        $parsed[0].From.Mailboxes.Address | Should -Be 'ops@example.com'
        $parsed[0].TextBody.TrimEnd() | Should -Be 'All fine.'
        $parsed[0].MessageId | Should -Be $results[0].MessageId
        # As pickup folders keep it: the file names its Bcc recipients, so sending it later reaches them.
        $parsed[0].Bcc.Mailboxes.Address | Should -Be 'secret@example.com'
        $raw = [IO.File]::ReadAllText($files[0].FullName)
        $raw | Should -Match "^[^\n]*\r\n"
        $raw -replace "\r\n", '' | Should -Not -Match "\n"
    }

    It 'leaves no temporary files behind' {
        $outbox = Join-Path $TestDrive 'clean'
        $null = 1..5 | ForEach-Object { Send-CompositeMail -Backend (New-MailBackend -Directory $outbox) @Mail }
        Get-ChildItem $outbox -Force | Where-Object Name -NotLike '*.eml' | Should -BeNullOrEmpty
    }

    It 'writes each message with one create, one write, one flush and one rename, looking nothing else up (strace)' {
        # What a batch pays per message in system calls, counted rather than timed: the folder is neither made nor
        # looked up again for every file, and the rename is rename(2) alone, while the flush to disk stays.
        $outbox = Join-Path $TestDrive 'counted'
        $null = New-Item -ItemType Directory $outbox
        $child = Join-Path $TestDrive 'counted.ps1'
        Set-Content $child @'
param([string] $Module, [string] $Outbox, [int] $Count)
Import-Module $Module
$folder = New-MailBackend -Directory $Outbox
$rows = 1..$Count | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "Message $_" } }
$sent = @($rows | Send-CompositeMail -Backend $folder -From ops@example.com -Body 'Counted.' | Where-Object Succeeded).Count
if ($sent -ne $Count) { exit 1 }
'@
        $trace = Join-Path $TestDrive 'counted.strace'
        $pwsh = Get-PwshCommandLine
        # -y names each descriptor's file, so the writes and flushes of the outbox's files can be told from the others.
        & strace -f -y -qq -o $trace -e 'trace=%file,%desc,fsync,fdatasync' $pwsh.Path @($pwsh.Arguments) -File $child -Module $script:ModulePath -Outbox $outbox -Count 20
        $LASTEXITCODE | Should -Be 0
        $calls = Get-Content $trace | Where-Object { $_.Contains("$outbox/") } |
            ForEach-Object { ($_ -replace '^\d+\s+', '') -replace '\(.*', '' } | Group-Object -AsHashTable -AsString
        @(Get-ChildItem $outbox -Filter *.eml).Count | Should -Be 20
        $calls['openat'].Count | Should -Be 20
        @($calls.Keys | Where-Object { $_ -in 'write', 'pwrite64', 'writev', 'pwritev' } | ForEach-Object { $calls[$_] }).Count | Should -Be 20
        $calls['fsync'].Count | Should -Be 20
        $calls['rename'].Count | Should -Be 20
        @($calls.Keys | Where-Object { $_ -match 'stat|mkdir|access|link|chmod' }) | Should -BeNullOrEmpty
    }

    It 'makes its folder again when it is removed in the middle of a batch' {
        $outbox = Join-Path $TestDrive 'removed'
        $folder = New-MailBackend -Directory $outbox
        $results = 1..3 | ForEach-Object {
            if ($_ -eq 3) { Remove-Item $outbox -Recurse -Force }
            [pscustomobject]@{ To = 'jane@example.com'; Subject = "Report $_" }
        } | Send-CompositeMail -Backend $folder -From ops@example.com -Body 'b'
        $results.Succeeded | Should -Be $true, $true, $true
        @(Get-ChildItem $outbox -Force).Name | Should -Be (Split-Path $results[2].Results.Detail -Leaf)
    }

    It 'fails as a backend, not as a command, when the folder cannot be written' {
        $blocker = Join-Path $TestDrive 'a-file'
        Set-Content $blocker 'not a folder'
        $memory = New-MailBackend -Memory
        $result = Send-CompositeMail -Backend (New-MailBackend -Directory (Join-Path $blocker 'sub')), $memory @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Results.Status | Should -Be 'Failed', 'Sent'
        $failures[0].CategoryInfo.Category | Should -Be 'WriteError'
        $memory.Messages.Count | Should -Be 1
    }
}

Describe 'The memory and script block backends' {
    It 'keeps copies with Subject, From, To and the whole MIME text' {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory @Mail -Cc 'a@example.com; b@example.com'
        $copy = $memory.Messages[0]
        $copy.Subject | Should -Be 'Disk report'
        $copy.From | Should -Be 'ops@example.com'
        $copy.To | Should -Be 'jane@example.com'
        $copy.Cc | Should -Be 'a@example.com', 'b@example.com'
        $copy.ToString() | Should -Match '(?m)^Subject: Disk report\r?$'
        $copy.ToString() | Should -Match '(?m)^Message-I[dD]: <'
    }

    It 'keeps what it got even when the caller changes things afterwards' {
        $memory = New-MailBackend -Memory
        $to = [string[]] @('jane@example.com')
        $headers = @{ 'X-Ticket' = '1' }
        $report = Join-Path $TestDrive 'report.txt'
        Set-Content $report 'first version' -NoNewline
        $null = Send-CompositeMail -Backend $memory -From ops@example.com -To $to -Subject 'Disk report' -Body 'first' -Headers $headers -Attachments $report
        $snapshot = $memory.Messages

        # Everything the caller still holds: the arguments, the file, and the copy itself.
        $to[0] = 'changed@example.com'
        $headers['X-Ticket'] = '2'
        Set-Content $report 'second version' -NoNewline
        { $snapshot[0].To[0] = 'tampered@example.com' } | Should -Throw
        { $snapshot[0].Recipients[0] = 'tampered@example.com' } | Should -Throw
        { $snapshot[0].Headers[0] = [System.Collections.Generic.KeyValuePair[string, string]]::new('X-Tampered', 'yes') } | Should -Throw
        $null = Send-CompositeMail -Backend $memory @Mail -Body 'second'

        $snapshot.Count | Should -Be 1
        $memory.Messages.Count | Should -Be 2
        $kept = $memory.Messages[0]
        $kept.To | Should -Be 'jane@example.com'
        $kept.Recipients | Should -Be 'jane@example.com'
        $kept.TextBody.TrimEnd() | Should -Be 'first'
        ($kept.Headers | Where-Object Key -EQ 'X-Ticket').Value | Should -Be '1'
        $kept.Headers.Key | Should -Not -Contain 'X-Tampered'
        $mime = [MimeKit.MimeMessage]::Load([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($kept.ToString())))
        $attachment = [IO.MemoryStream]::new()
        $mime.Attachments[0].Content.DecodeTo($attachment)
        [Text.Encoding]::UTF8.GetString($attachment.ToArray()) | Should -Be 'first version'
    }

    It 'calls a script block with the message as its first argument' {
        $seen = [System.Collections.Generic.List[object]]::new()
        $hook = New-MailBackend -ScriptBlock { param($message) $seen.Add($message) }
        $null = Send-CompositeMail -Backend $hook @Mail
        $seen.Count | Should -Be 1
        $seen[0].Subject | Should -Be 'Disk report'
        $seen[0].To | Should -Be 'jane@example.com'
    }

    It 'counts any exception a script block throws as that backend failing, never as a bug in the module (<Name>)' -ForEach @(
        @{ Name = 'a thrown NullReferenceException'; Script = { throw [System.NullReferenceException]::new('user null') } }
        @{ Name = 'a method on $null'; Script = { $null.Foo() } }
        @{ Name = 'a failed cast'; Script = { [int]'abc' } }
    ) {
        $script = New-MailBackend -ScriptBlock $Script -Name script
        $after = New-MailBackend -Memory -Name after
        $result = Send-CompositeMail -Backend $script, $after @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Results.Status | Should -Be 'Failed', 'Sent'
        $failures.FullyQualifiedErrorId | Should -Be 'MessageNotDelivered,PSCompositeMail.Commands.SendCompositeMailCommand'
    }
}

Describe 'Invalid input is refused before any backend is used' {
    It 'refuses <Name>' -ForEach @(
        @{ Name = 'a malformed sender'; Change = @{ From = 'not an address' }; Category = 'InvalidArgument'; Target = 'not an address' }
        @{ Name = 'a malformed recipient'; Change = @{ To = 'jane@' }; Category = 'InvalidArgument'; Target = 'jane@' }
        @{ Name = 'no sender'; Change = @{ From = '' }; Category = 'InvalidArgument'; Target = '' }
        @{ Name = 'no recipient'; Change = @{ To = @() }; Category = 'InvalidArgument'; Target = $null }
        @{ Name = 'CR LF in the subject'; Change = @{ Subject = "hi`r`nBcc: x@example.com" }; Category = 'InvalidArgument'; Target = "hi`r`nBcc: x@example.com" }
        @{ Name = 'LF in a display name'; Change = @{ To = "Jane`nBcc: x@example.com <jane@example.com>" }; Category = 'InvalidArgument'; Target = "Jane`nBcc: x@example.com <jane@example.com>" }
        @{ Name = 'a missing attachment'; Change = @{ Attachments = '/no/such/file.pdf' }; Category = 'ObjectNotFound'; Target = '/no/such/file.pdf' }
        @{ Name = 'CR LF in a custom header'; Change = @{ Headers = @{ 'X-Tag' = "a`r`nBcc: x@example.com" } }; Category = 'InvalidArgument'; Target = "a`r`nBcc: x@example.com" }
    ) {
        $memory = New-MailBackend -Memory
        $hook = New-MailBackend -ScriptBlock { throw 'must not be called' }
        $arguments = $Mail.Clone()
        foreach ($key in $Change.Keys) { $arguments[$key] = $Change[$key] }

        $result = Send-CompositeMail -Backend $memory, $hook @arguments -ErrorVariable failures -ErrorAction SilentlyContinue

        $result | Should -BeNullOrEmpty
        $memory.Messages.Count | Should -Be 0
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'InvalidMessage,PSCompositeMail.Commands.SendCompositeMailCommand'
        $failures[0].CategoryInfo.Category | Should -Be $Category
        $failures[0].TargetObject | Should -Be $Target
    }

    It 'fails only the bad message of a batch' {
        $memory = New-MailBackend -Memory
        $rows = @(
            [pscustomobject]@{ To = 'a@example.com'; Subject = 'one' }
            [pscustomobject]@{ To = 'broken'; Subject = 'two' }
            [pscustomobject]@{ To = 'c@example.com'; Subject = 'three' }
        )
        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -Body b -ErrorVariable failures -ErrorAction SilentlyContinue
        $results.Subject | Should -Be 'one', 'three'
        $memory.Messages.Subject | Should -Be 'one', 'three'
        $failures.Count | Should -Be 1
        $failures[0].TargetObject | Should -Be 'broken'
    }

    It 'is a terminating error to give no backend at all' {
        { Send-CompositeMail @Mail } | Should -Throw -ErrorId 'NoBackend,PSCompositeMail.Commands.SendCompositeMailCommand'
    }
}

Describe 'WhatIf' {
    It 'sends nothing and says what it would send' {
        $memory = New-MailBackend -Memory
        $hook = New-MailBackend -ScriptBlock { throw 'must not be called' }
        $result = Send-CompositeMail -Backend $memory, $hook @Mail -WhatIf
        $result | Should -BeNullOrEmpty
        $memory.Messages.Count | Should -Be 0
    }
}

Describe 'WhatIf against a real SMTP server' {
    BeforeAll {
        . $PSScriptRoot/smtp.ps1
        $script:Untouched = Start-TestSmtpServer
    }
    AfterAll { $script:Untouched | Stop-TestSmtpServer }

    It 'connects nowhere and names each backend and the recipients' {
        $script = Join-Path $TestDrive 'whatif.ps1'
        Set-Content $script @"
Import-Module '$ModulePath'
`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $($Untouched.Port) -Security None -Name relay
Send-CompositeMail -Backend `$smtp, (New-MailBackend -Console) -From ops@example.com -To jane@example.com -Bcc audit@example.com -Subject 'Dry run' -Body b -WhatIf
"@
        $run = Invoke-TestPwsh -File $script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match "What if: Send 'Dry run' from ops@example.com to jane@example.com, audit@example.com through relay \(Smtp: 127\.0\.0\.1:$($Untouched.Port) None\); console"
        $run.Output | Should -Not -Match '----- message -----'
        Get-TestSmtpEvent $Untouched -Event connect | Should -BeNullOrEmpty
    }
}
