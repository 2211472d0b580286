BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1

    function New-Spool { Join-Path $TestDrive ("spool-" + [guid]::NewGuid().ToString('N').Substring(0, 6)) }

    function New-DeadSmtp {
        param([string] $Name = 'relay')
        New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0 -Name $Name
    }

    function Assert-NoPartialFile {
        # Everything visible in a spool is a whole .eml (that parses) or a whole .meta.
        param([string] $Spool)
        Get-ChildItem $Spool -File -Recurse | Where-Object Name -NotLike '.*' | ForEach-Object {
            $_.Extension | Should -BeIn '.eml', '.meta'
            if ($_.Extension -eq '.eml') { { [MimeKit.MimeMessage]::Load($_.FullName) } | Should -Not -Throw }
        }
    }
}

Describe 'Failover composites' {
    BeforeAll { $script:Backup = Start-TestSmtpServer }
    AfterAll { $script:Backup | Stop-TestSmtpServer }

    It 'fails over from a dead primary to a live backup, tells which delivered, and warns' {
        $primary = New-DeadSmtp -Name primary
        $backupSmtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Backup.Port -Security None -Name backup
        $relays = New-MailBackend -Composite -Backend $primary, $backupSmtp -Policy Failover -Name relays
        $result = Send-CompositeMail -Backend $relays, (New-MailBackend -Console) @Mail -WarningVariable warned -WarningAction SilentlyContinue 6>$null

        $result.Succeeded | Should -BeTrue
        $result.DeliveredBy | Should -Be 'backup', 'console'
        $result.Results[0].Results.Status | Should -Be 'Failed', 'Sent'
        $warned | Should -Match "backend 'primary' failed: Could not connect"
        @(Get-TestSmtpMessage $Backup).Count | Should -Be 1
    }
}

Describe 'The spool' {
    It 'keeps a message a dead server did not take, and resends it once the server is up' {
        $spool = New-Spool
        $port = Get-FreeTcpPort
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 0 -Name relay
        $results = 1..3 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com"; Bcc = 'audit@example.com'; Subject = "Alert $_" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Body 'disk full' -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 3
        $failures[0].FullyQualifiedErrorId | Should -Be 'MessageNotDelivered,PSCompositeMail.Commands.SendCompositeMailCommand'
        $failures[0].Exception.Message | Should -Match "backend 'relay' failed: Could not connect.*It is kept in the spool as .*\.eml"
        $results.Succeeded | Should -Be $false, $false, $false
        $results.Results.Status | Should -Be 'Spooled', 'Spooled', 'Spooled'
        $results[0].SpoolPath | Should -Exist

        $items = Get-MailSpool -Path $spool
        $items.Count | Should -Be 3
        $items[0].Subject | Should -Be 'Alert 1'
        $items[0].To | Should -Be 'u1@example.com', 'audit@example.com'
        $items[0].Backend | Should -Be 'relay'
        $items[0].Error | Should -Match 'Could not connect'
        $items[0].Attempts | Should -Be 1
        Get-Content (Join-Path $spool '*.meta') -Raw | Should -Not -Match 'Password|Credential'
        Assert-NoPartialFile $spool

        $server = Start-TestSmtpServer -Port $port
        try {
            $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $smtp
            $resent.Succeeded | Should -Be $true, $true, $true
            $received = Get-TestSmtpMessage $server
            $received.Count | Should -Be 3
            $received.Message.Subject | Should -Be 'Alert 1', 'Alert 2', 'Alert 3'
            $received[0].RcptTo | Should -Be 'u1@example.com', 'audit@example.com'
            $received[0].Raw | Should -Not -Match 'audit@example\.com'
            Get-MailSpool $spool | Should -BeNullOrEmpty
            Get-ChildItem $spool -File | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'records a failed resend and moves an item to poison after -MaxAttempts' {
        $spool = New-Spool
        $smtp = New-DeadSmtp
        $null = Send-CompositeMail -Backend $smtp @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        $again = Get-MailSpool $spool | Send-CompositeMail -Backend $smtp -MaxAttempts 3 -ErrorAction SilentlyContinue
        $again.Results.Status | Should -Be 'Spooled'
        (Get-MailSpool $spool).Attempts | Should -Be 2

        $null = Get-MailSpool $spool | Send-CompositeMail -Backend $smtp -MaxAttempts 3 -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].Exception.Message | Should -Match 'After 3 attempts it was moved to the spool''s poison folder'
        Get-MailSpool $spool | Should -BeNullOrEmpty
        $poison = Get-MailSpool $spool -Poison
        $poison.Attempts | Should -Be 3
        $poison.Poisoned | Should -BeTrue
        $poison.MessagePath | Should -Exist
    }

    It 'lists a spool as a readable table' {
        $spool = New-Spool
        $null = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        Get-MailSpool $spool | Format-Table | Out-String -Width 250 | Should -Match 'LastFailure\s+Attempts\s+Subject\s+To\s+Backend\s+Error'
    }

    It 'reports a spool folder that does not exist' {
        Get-MailSpool (Join-Path $TestDrive 'nowhere') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'never sends an item twice when two runs drain the same spool at once' {
        $spool = New-Spool
        $port = Get-FreeTcpPort
        $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 0
        $null = 1..200 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com"; Subject = "Item $_" } } |
            Send-CompositeMail -Backend $dead -From ops@example.com -Body b -SpoolDirectory $spool -ErrorAction SilentlyContinue
        (Get-MailSpool $spool).Count | Should -Be 200

        $server = Start-TestSmtpServer -Port $port
        try {
            $drain = Join-Path $TestDrive 'drain.ps1'
            Set-Content $drain @"
Import-Module '$ModulePath'
`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None
`$sent = Get-MailSpool '$spool' | Send-CompositeMail -Backend `$smtp
"sent `$(@(`$sent | Where-Object Succeeded).Count)"
"@
            $runs = 1, 2 | ForEach-Object { Start-TestPwsh -File $drain -OutputFile (Join-Path $TestDrive "drain$_.txt") }
            $runs | ForEach-Object { $_.WaitForExit(120000) | Should -BeTrue }
            $sent = 1, 2 | ForEach-Object { [int]((Get-Content (Join-Path $TestDrive "drain$_.txt") -Raw) -replace '\D', '') }

            ($sent | Measure-Object -Sum).Sum | Should -Be 200
            $received = Get-TestSmtpMessage $server
            $received.Count | Should -Be 200
            @($received.Message.MessageId | Sort-Object -Unique).Count | Should -Be 200
            Get-MailSpool $spool | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'survives kill -9 of a process that is spooling a batch: no partial file, nothing lost' {
        $spool = New-Spool
        $port = Get-FreeTcpPort
        $batch = Join-Path $TestDrive 'batch.ps1'
        Set-Content $batch @"
Import-Module '$ModulePath'
`$dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 0
1..100000 | ForEach-Object { [pscustomobject]@{ To = "u`$_@example.com"; Subject = "Crash `$_" } } |
    Send-CompositeMail -Backend `$dead -From ops@example.com -Body (`"x`" * 20000) -SpoolDirectory '$spool' -ErrorAction SilentlyContinue | Out-Null
"@
        $process = Start-TestPwsh -File $batch -OutputFile (Join-Path $TestDrive 'batch.txt')
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (@(Get-ChildItem $spool -Filter *.eml -ErrorAction Ignore).Count -lt 50 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $process.Kill()
        $process.WaitForExit(10000) | Out-Null

        Assert-NoPartialFile $spool
        $items = @(Get-MailSpool $spool)
        $items.Count | Should -BeGreaterOrEqual 50
        $server = Start-TestSmtpServer -Port $port
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None
            $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $smtp
            @($resent | Where-Object Succeeded).Count | Should -Be $items.Count
            @(Get-TestSmtpMessage $server).Count | Should -Be $items.Count
            Get-MailSpool $spool | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'gives back an item whose drain was killed while it held it' {
        $spool = New-Spool
        $null = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $item = Get-ChildItem $spool -Filter *.eml
        # What a drain that died mid-send leaves: the item renamed as claimed by a process that no longer runs.
        Rename-Item $item.FullName "$($item.Name).claimed-999999-deadbeef"
        $listed = Get-MailSpool $spool
        $listed.Count | Should -Be 1
        $listed.Subject | Should -Be 'Disk report'
    }
}

Describe 'Stopping a long pipeline' {
    It 'returns promptly and accounts for every message: sent, spooled, or never started (-ThrottleLimit <Throttle>)' -ForEach @(
        @{ Throttle = 1; InFlight = 1 }
        @{ Throttle = 4; InFlight = 8 }
    ) {
        $server = Start-TestSmtpServer
        $spool = New-Spool
        $null = New-Item -ItemType Directory $spool
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($ModulePath, $Port, $Spool, $Throttle)
                Import-Module $ModulePath
                $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None
                1..1000 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com"; Subject = "Long $_" } } |
                    Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -SpoolDirectory $Spool -ThrottleLimit $Throttle
            }).AddArgument($ModulePath).AddArgument($server.Port).AddArgument($spool).AddArgument($Throttle)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $running = $shell.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ($output.Count -lt 100 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $running.IsCompleted | Should -BeTrue

            $sent = @($output | Where-Object Succeeded | ForEach-Object Subject)
            $spooled = @(Get-MailSpool $spool | ForEach-Object Subject)
            $received = @(Get-TestSmtpMessage $server | ForEach-Object { $_.Message.Subject })
            $sent.Count | Should -BeGreaterOrEqual 100
            $sent.Count | Should -BeLessThan 1000
            # Every reported success reached the server exactly once; nothing is both sent and spooled.
            @($sent | Where-Object { $_ -notin $received }) | Should -BeNullOrEmpty
            @($received | Group-Object | Where-Object Count -gt 1) | Should -BeNullOrEmpty
            @($sent | Where-Object { $_ -in $spooled }) | Should -BeNullOrEmpty
            # Only the messages in flight at the stop are missing from the results: each is spooled or already arrived.
            $unreported = @($received | Where-Object { $_ -notin $sent }) + $spooled | Select-Object -Unique
            $unreported.Count | Should -BeLessOrEqual $InFlight
            # Every message up to the last one started is accounted for, with no gap.
            $numbers = @($sent) + @($spooled) + @($received) | Select-Object -Unique | ForEach-Object { [int]($_ -replace '\D', '') } | Sort-Object
            $numbers | Should -Be (1..$numbers.Count) -Because 'messages are handled in order with none skipped'
            Assert-NoPartialFile $spool
        }
        finally {
            $shell.Dispose()
            Stop-TestSmtpServer $server
        }
    }
}
