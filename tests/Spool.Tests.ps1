BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1

    function New-Spool { Join-Path $TestDrive ("spool-" + [guid]::NewGuid().ToString('N').Substring(0, 6)) }

    function New-DeadSmtp {
        param([string] $Name = 'relay')
        New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0 -Name $Name
    }

    function New-ClaimedItem {
        <# Spools one message through -Backend (a dead relay by default) and renames its .eml as claimed, '<id>.eml.claimed-<Claim>'. #>
        param([string] $Spool, [string] $Claim, $Backend = (New-DeadSmtp))
        $null = Send-CompositeMail -Backend $Backend @Mail -SpoolDirectory $Spool -ErrorAction SilentlyContinue
        $item = Get-ChildItem $Spool -Filter *.eml
        Rename-Item $item.FullName "$($item.Name).claimed-$Claim"
    }

    function Get-BootId {
        <# The boot id as a claim records it: the first 8 hex digits of /proc/sys/kernel/random/boot_id. #>
        (Get-Content /proc/sys/kernel/random/boot_id -ErrorAction Stop).Replace('-', '').Substring(0, 8)
    }

    function Get-PidNamespace {
        <# This process's PID namespace as a claim records it: the inode of /proc/self/ns/pid ("pid:[4026531836]" -> 4026531836). #>
        (Get-Item /proc/self/ns/pid -ErrorAction Stop).LinkTarget -replace '\D'
    }

    function Assert-WholeSpool {
        <#
        Everything visible in a spool (and its poison folder) is a whole item: an .eml that parses, with its .meta beside
        it naming the same Message-Id and the .eml's exact length and SHA-256. -Count is how many items must be there, so an empty spool can never pass by
        checking nothing; hidden temporary files are ignored. -AllowLoneMetadata accepts a .meta without its .eml,
        which is what a process killed between writing the two leaves (the .meta is written first, so the item does
        not exist yet). Returns the parsed messages.
        #>
        param([string] $Spool, [int] $Count, [switch] $AllowLoneMetadata)
        $visible = @(Get-ChildItem $Spool -File -Recurse -ErrorAction Stop | Where-Object Name -NotLike '.*')
        @($visible | Where-Object Extension -NotIn '.eml', '.meta') | Should -BeNullOrEmpty -Because 'a spool holds .eml and .meta files only'
        $messages = @($visible | Where-Object Extension -EQ '.eml')
        $messages.Count | Should -Be $Count
        foreach ($eml in $messages) {
            $metadata = [IO.Path]::ChangeExtension($eml.FullName, '.meta')
            $metadata | Should -Exist
            $parsed = [MimeKit.MimeMessage]::Load($eml.FullName)
            $parsed.MessageId | Should -Not -BeNullOrEmpty
            $recorded = Get-Content $metadata -Raw | ConvertFrom-Json
            $recorded.messageId | Should -Be $parsed.MessageId
            $recorded.messageLength | Should -Be $eml.Length
            $recorded.messageSha256 | Should -Be (Get-FileHash $eml.FullName -Algorithm SHA256).Hash
            $parsed
        }
        if (-not $AllowLoneMetadata) {
            @($visible | Where-Object Extension -EQ '.meta').Count | Should -Be $Count -Because 'every .meta belongs to an .eml'
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
        $null = Assert-WholeSpool $spool -Count 3

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

    It 'writes no secret into the spool, even when the secret was what failed' {
        $spool = New-Spool
        $server = Start-TestSmtpServer -User relay-user -Password 'the-right-one' -OAuthUser robot@example.com -OAuthToken 'the-right-token'
        try {
            $password = 'Spool-Password-9f3c'
            $token = 'Spool-Token-4e1a'
            $withPassword = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 0 -Name password `
                -Credential ([pscredential]::new('relay-user', (ConvertTo-SecureString $password -AsPlainText -Force)))
            $withToken = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 0 -Name token `
                -UserName robot@example.com -OAuthToken (ConvertTo-SecureString $token -AsPlainText -Force)
            $result = Send-CompositeMail -Backend $withPassword, $withToken @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

            # Both backends really used their secret, and the server refused it.
            $refused = @(Get-TestSmtpEvent $server -Event auth | Where-Object { -not $_.success }).mechanism
            $refused | Should -Contain 'PLAIN'
            $refused | Should -Contain 'XOAUTH2'
            $result.Results.Status | Should -Be 'Spooled', 'Spooled'
            (Get-MailSpool $spool).Backend | Should -Be 'password, token'
            $null = Assert-WholeSpool $spool -Count 1

            $encoded = @(
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0relay-user`0$password"))
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($password))
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("user=robot@example.com`u{1}auth=Bearer $token`u{1}`u{1}"))
            )
            Get-ChildItem $spool -File -Recurse -Force | ForEach-Object {
                $text = [IO.File]::ReadAllText($_.FullName)
                foreach ($secret in @($password, $token) + $encoded) { $text | Should -Not -Match ([regex]::Escape($secret)) -Because "$($_.Name) is in the spool" }
            }
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
        $failures[0].Exception.Message | Should -Match ([regex]::Escape("poison folder as $($poison.MessagePath);"))
    }

    It 'lists a spool as a readable table' {
        $spool = New-Spool
        $null = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        Get-MailSpool $spool | Format-Table | Out-String -Width 250 | Should -Match 'Age\s+Attempts\s+Subject\s+To\s+Error'
    }

    It 'reports a spool folder that does not exist' {
        Get-MailSpool (Join-Path $TestDrive 'nowhere') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'never sends an item twice when two runs drain the same spool at once' -Tag Slow {
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

    It 'survives kill -9 of a process that is spooling a batch: no partial file, nothing lost' -Tag Slow {
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

        $items = @(Get-MailSpool $spool)
        $items.Count | Should -BeGreaterOrEqual 50
        $whole = Assert-WholeSpool $spool -Count $items.Count -AllowLoneMetadata
        # A message cut short would still parse: each must hold its whole body.
        $whole | ForEach-Object { $_.TextBody.TrimEnd().Length | Should -Be 20000 }
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
        # What a drain that died mid-send leaves: the item renamed as claimed by a process that no longer runs.
        New-ClaimedItem $spool -Claim '999999-deadbeef'
        $listed = Get-MailSpool $spool
        $listed.Count | Should -Be 1
        $listed.Subject | Should -Be 'Disk report'
    }

    It 'gives back an item claimed by an earlier process of this PID namespace and boot with the same PID (a reused PID), and resends it' {
        $spool = New-Spool
        $port = Get-FreeTcpPort
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 0 -Name relay
        # This process is alive, but it did not start at the time the claim records: the claim is another process's (of this
        # namespace and boot, so the start can be compared).
        New-ClaimedItem $spool -Claim "$PID-deadbeef-12345.$(Get-BootId)-$(Get-PidNamespace)" -Backend $smtp
        $server = Start-TestSmtpServer -Port $port
        try {
            $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $smtp
            $resent.Succeeded | Should -BeTrue
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
            Get-ChildItem $spool -File | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'leaves alone an item claimed in another PID namespace (<Case>): its PID here is another process, or none' -ForEach @(
        @{ Case = 'a live PID with another start'; Owner = { $PID } }
        @{ Case = 'a PID that does not run here'; Owner = { 999999 } }
    ) {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'PID namespaces are Linux''s' }
        $spool = New-Spool
        # What a resend under `unshare --pid` (or in a container) leaves while it still runs: its PID means nothing here.
        New-ClaimedItem $spool -Claim "$(& $Owner)-deadbeef-12345.$(Get-BootId)-1$(Get-PidNamespace)"
        Get-MailSpool $spool | Should -BeNullOrEmpty
        Get-ChildItem $spool -Filter '*.claimed-*' | Should -HaveCount 1
        (Test-MailSpool $spool -MaxAge 0).Stuck | Should -HaveCount 1
    }

    It 'Test-MailSpool says a claim whose process has ended is given back next, and counts a damaged claimed item once, by its file' {
        $spool = New-Spool
        New-ClaimedItem $spool -Claim '999999-deadbeef'
        (Get-ChildItem $spool -Filter '*.claimed-*').LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2)
        $health = Test-MailSpool $spool -MaxAge 01:00:00 -WarningVariable warned -WarningAction SilentlyContinue
        $health.Stuck | Should -HaveCount 1
        "$warned" | Should -Match 'has ended, so the next Get-MailSpool or resend gives it back'
        "$warned" | Should -Not -Match 'stuck while'

        # The same claim without its metadata: damaged (once, naming the file that is there), not stuck, and no empty subject.
        $claimed = Get-ChildItem $spool -Filter '*.claimed-*'
        Remove-Item (Join-Path $spool ($claimed.Name -replace '\.eml\.claimed-.*', '.meta'))
        $health = Test-MailSpool $spool -MaxAge 01:00:00 -WarningVariable warned -WarningAction SilentlyContinue
        $health.Damaged | Should -Be 1
        $health.Stuck | Should -HaveCount 0
        $health.DamagedInPlace | Should -Be $claimed.FullName
        "$warned" | Should -Not -Match "'' <>"
    }

    It 'leaves alone an item claimed by a process that still runs, also in the claim names of 0.4.0 (PID only)' {
        $spool = New-Spool
        New-ClaimedItem $spool -Claim "$PID-deadbeef"
        Get-MailSpool $spool | Should -BeNullOrEmpty
        Get-ChildItem $spool -Filter '*.claimed-*' | Should -HaveCount 1
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
            $null = Assert-WholeSpool $spool -Count $spooled.Count
        }
        finally {
            $shell.Dispose()
            Stop-TestSmtpServer $server
        }
    }
}

Describe 'Resending a message some backends already took' {
    BeforeEach {
        $script:ResendSpool = New-Spool
        $script:RelayPort = Get-FreeTcpPort
        $script:Archive = New-MailBackend -Directory (Join-Path $TestDrive "archive-$([guid]::NewGuid().ToString('N'))") -Name archive
        $script:Audit = New-MailBackend -Memory -Name audit
        $relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RelayPort -Security None -RetryCount 0 -Name relay
        # The relay sits inside a nested composite, next to a backend that takes the message.
        $outbound = New-MailBackend -Composite -Backend $Audit, $relay -Name outbound
        $script:Backends = $Archive, $outbound
        $first = Send-CompositeMail -Backend $Backends @Mail -SpoolDirectory $ResendSpool -ErrorAction SilentlyContinue
        $first.Results.Status | Should -Be 'Sent', 'Spooled'
    }

    It 'delivers only through the backends that did not take it, on every resend, and shows the others as Skipped' {
        foreach ($attempt in 1, 2) {
            $again = Get-MailSpool $ResendSpool | Send-CompositeMail -Backend $Backends -ErrorAction SilentlyContinue
            $again.Results.Status | Should -Be 'Skipped', 'Spooled'
            $again.Results[1].Results.Status | Should -Be 'Skipped', 'Spooled'
        }
        (Get-MailSpool $ResendSpool).Attempts | Should -Be 3

        $server = Start-TestSmtpServer -Port $RelayPort
        try {
            $resent = Get-MailSpool $ResendSpool | Send-CompositeMail -Backend $Backends
            $resent.Succeeded | Should -BeTrue
            $resent.Results.Status | Should -Be 'Skipped', 'Sent'
            $resent.Results[1].Results.Status | Should -Be 'Skipped', 'Sent'
            $resent.Results[0].Detail | Should -Match 'earlier attempt'
            @(Get-ChildItem $Archive.Path -Filter *.eml).Count | Should -Be 1
            $Audit.Messages.Count | Should -Be 1
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
            Get-MailSpool $ResendSpool | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'delivers through every backend again with -IncludeDeliveredBackends' {
        $server = Start-TestSmtpServer -Port $RelayPort
        try {
            $resent = Get-MailSpool $ResendSpool | Send-CompositeMail -Backend $Backends -IncludeDeliveredBackends
            $resent.Results.Status | Should -Be 'Sent', 'Sent'
            @(Get-ChildItem $Archive.Path -Filter *.eml).Count | Should -Be 2
            $Audit.Messages.Count | Should -Be 2
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'Resending a message one of two namesakes took' {
    It 'sends it once to each of two SMTP backends both named ''smtp'': the one that took it is skipped, the other gets it' {
        $spool = New-Spool
        $up = Start-TestSmtpServer
        $downPort = Get-FreeTcpPort
        try {
            $first = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $up.Port -Security None
            $second = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $downPort -Security None -RetryCount 0
            $first.Name, $second.Name | Should -Be 'smtp', 'smtp'
            $both = New-MailBackend -Composite -Backend $first, $second -Policy All
            $sent = Send-CompositeMail -Backend $both @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
            $sent.Results.Results.Status | Should -Be 'Sent', 'Spooled'
            $item = Get-MailSpool $spool

            $later = Start-TestSmtpServer -Port $downPort
            try {
                $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $both
                $resent.Succeeded | Should -BeTrue
                $resent.Results.Results.Status | Should -Be 'Skipped', 'Sent'
                @(Get-TestSmtpMessage $later).Count | Should -Be 1
                Get-MailSpool $spool | Should -BeNullOrEmpty
            }
            finally { Stop-TestSmtpServer $later }
            $received = @(Get-TestSmtpMessage $up)
            $received.Count | Should -Be 1 -Because 'the first server took it on the first attempt'
            $received[0].Message.MessageId | Should -Be $sent.MessageId
            $item.Backend | Should -Be 'smtp#2' -Because 'the spool names the second of the namesakes as the one that failed'
            $item.DeliveredBy | Should -Be 'smtp#1'
        }
        finally { Stop-TestSmtpServer $up }
    }
}

Describe 'Resending through backends whose names only look like namesakes' {
    It 'sends it to <Failing> when <Taking> took it: a name like ''relay#2'' is not the second of two named ''relay''' -ForEach @(
        @{ Taking = 'relay'; Failing = 'relay#2' }
        @{ Taking = 'x#1'; Failing = 'x' }
    ) {
        $spool = New-Spool
        $root = Join-Path $TestDrive "lookalike-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory $root | Out-Null
        $blocker = Join-Path $root 'blocked'
        Set-Content $blocker 'a file where the failing backend''s folder should be'
        $took = New-MailBackend -Directory (Join-Path $root 'took') -Name $Taking
        $fails = New-MailBackend -Directory (Join-Path $blocker 'failed') -Name $Failing
        $both = New-MailBackend -Composite -Backend $took, $fails -Policy All
        $sent = Send-CompositeMail -Backend $both @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $sent.Results.Results.Status | Should -Be 'Sent', 'Spooled'
        $item = Get-MailSpool $spool
        $item.Backend | Should -Be $Failing
        $item.DeliveredBy | Should -Be $Taking

        Remove-Item $blocker
        $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $both -SpoolDirectory $spool
        $resent.Results.Results.Status | Should -Be 'Skipped', 'Sent'
        @(Get-ChildItem (Join-Path $root 'took') -Filter *.eml).Count | Should -Be 1 -Because "$Taking took it the first time only"
        @(Get-ChildItem (Join-Path $blocker 'failed') -Filter *.eml).Count | Should -Be 1 -Because "$Failing was owed it"
        Get-MailSpool $spool | Should -BeNullOrEmpty
    }
}

Describe 'Resending through namesakes given in another order' {
    BeforeEach {
        $script:SwapSpool = New-Spool
        $script:SwapRoot = Join-Path $TestDrive "swapped-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory $SwapRoot | Out-Null
        $script:Blocker = Join-Path $SwapRoot 'blocked'
        Set-Content $Blocker 'a file where the second backend''s folder should be'
        $script:D1 = New-MailBackend -Directory (Join-Path $SwapRoot 'd1') -Name dir
        $script:D2 = New-MailBackend -Directory (Join-Path $Blocker 'd2') -Name dir
        $sent = Send-CompositeMail -Backend (New-MailBackend -Composite -Backend $D1, $D2) @Mail -SpoolDirectory $SwapSpool `
            -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $sent.Results.Results.Status | Should -Be 'Sent', 'Spooled'
        (Get-MailSpool $SwapSpool).Backend | Should -Be 'dir#2'
    }

    It 'never skips one in the other''s place: the one still owed gets it, the other at worst a second copy' {
        Remove-Item $Blocker
        $resent = Get-MailSpool $SwapSpool | Send-CompositeMail -Backend (New-MailBackend -Composite -Backend $D2, $D1) -SpoolDirectory $SwapSpool
        $resent.Succeeded | Should -BeTrue
        @(Get-ChildItem (Join-Path $Blocker 'd2') -Filter *.eml).Count | Should -Be 1 -Because 'd2 failed it and was owed it'
        @(Get-ChildItem (Join-Path $SwapRoot 'd1') -Filter *.eml).Count | Should -BeIn 1, 2 -Because 'd1 took it; a second copy is no loss'
        Get-MailSpool $SwapSpool | Should -BeNullOrEmpty
    }

    It 'keeps the item when the namesake still owed fails again, whatever the order' {
        $resent = Get-MailSpool $SwapSpool | Send-CompositeMail -Backend (New-MailBackend -Composite -Backend $D2, $D1) -SpoolDirectory $SwapSpool `
            -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $resent.Succeeded | Should -BeFalse
        @(Get-MailSpool $SwapSpool).Count | Should -Be 1 -Because 'd2 has not taken it yet'
    }
}

Describe 'A resend that would deliver nothing the item still owes' {
    BeforeEach {
        $script:OwedSpool = New-Spool
        $script:RelayPort = Get-FreeTcpPort
        $script:Archive = New-MailBackend -Directory (Join-Path $TestDrive "archive-$([guid]::NewGuid().ToString('N'))") -Name archive
        $script:Relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RelayPort -Security None -RetryCount 0 -Name relay
        $first = Send-CompositeMail -Backend $Archive, $Relay @Mail -SpoolDirectory $OwedSpool -ErrorAction SilentlyContinue
        $first.Results.Status | Should -Be 'Sent', 'Spooled'
    }

    It 'is an error for the item, sends nothing, and keeps it when none of the backends that failed it is given' {
        $resent = Get-MailSpool $OwedSpool | Send-CompositeMail -Backend $Archive -ErrorVariable failed -ErrorAction SilentlyContinue
        $? | Should -BeFalse
        $resent | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SpoolItemNotResent*'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed[0].TargetObject | Should -BeOfType PSCompositeMail.Spool.MailSpoolItem
        $failed[0].Exception.Message | Should -Match "still owed to relay.*Nothing was sent; the item stays"
        @(Get-ChildItem $Archive.Path -Filter *.eml).Count | Should -Be 1 -Because 'the archive took it the first time only'
        $kept = Get-MailSpool $OwedSpool
        $kept.Attempts | Should -Be 1
        $kept.Backend | Should -Be 'relay'

        # On purpose: -IncludeDeliveredBackends sends it through the given backends whatever took it before.
        $again = Get-MailSpool $OwedSpool | Send-CompositeMail -Backend $Archive -IncludeDeliveredBackends
        $again.Succeeded | Should -BeTrue
        @(Get-ChildItem $Archive.Path -Filter *.eml).Count | Should -Be 2
        Get-MailSpool $OwedSpool | Should -BeNullOrEmpty
    }

    It 'keeps the item under -Policy Any while the relay that failed it is still dead, and names what took it' {
        $resent = Get-MailSpool $OwedSpool | Send-CompositeMail -Backend $Archive, $Relay -Policy Any -ErrorVariable failed -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
        $resent.Succeeded | Should -BeFalse -Because 'only the archive, which had taken it before, counted'
        $resent.SpoolPath | Should -Not -BeNullOrEmpty
        $resent.Results.Status | Should -Be 'Skipped', 'Spooled'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MessageNotDelivered*'
        $failed[0].Exception.Message | Should -Match "still owed to relay, which failed it on an earlier attempt and did not take it now: backend 'relay' failed"
        $warned | Should -Not -Match 'through  only'
        $warned | Should -Match 'delivered through archive \(on an earlier attempt\) only'
        (Get-MailSpool $OwedSpool).Attempts | Should -Be 2

        $server = Start-TestSmtpServer -Port $RelayPort
        try {
            $delivered = Get-MailSpool $OwedSpool | Send-CompositeMail -Backend $Archive, $Relay -Policy Any
            $delivered.Succeeded | Should -BeTrue
            $delivered.Results.Status | Should -Be 'Skipped', 'Sent'
            @(Get-TestSmtpMessage $server).Count | Should -Be 1
            @(Get-ChildItem $Archive.Path -Filter *.eml).Count | Should -Be 1
            Get-MailSpool $OwedSpool | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'A spool the resend cannot write' -Skip:($IsWindows -or (& id -u) -ne '0') {
    # Real mounts (Linux, as root): a read-only bind mount of a spool, and a small tmpfs that is full.
    BeforeAll { $script:Mounted = [System.Collections.Generic.List[string]]::new() }
    AfterAll {
        foreach ($folder in $Mounted) { & umount $folder 2>$null }
    }

    It 'reports each item it cannot claim on a read-only spool, naming the reason, and sends nothing' {
        $spool = New-Spool
        $null = 1..2 | ForEach-Object { Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue }
        & mount --bind $spool $spool; $LASTEXITCODE | Should -Be 0
        $Mounted.Add($spool)
        try {
            & mount -o remount,ro,bind $spool; $LASTEXITCODE | Should -Be 0
            $server = Start-TestSmtpServer
            try {
                $relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -Name relay
                $resent = Get-MailSpool $spool | Send-CompositeMail -Backend $relay -ErrorVariable failed -ErrorAction SilentlyContinue
                $? | Should -BeFalse
                $resent | Should -BeNullOrEmpty
                $failed.Count | Should -Be 2
                $failed.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'SpoolItemNotResent*' }
                $failed[0].TargetObject | Should -BeOfType PSCompositeMail.Spool.MailSpoolItem
                $failed[0].Exception.Message | Should -Match 'could not be taken for resending: .*Read-only file system.*must be writable.*Nothing was sent; the item stays in'
                $failed[0].Exception.Message | Should -Not -Match 'another run'
                @(Get-TestSmtpMessage $server).Count | Should -Be 0
            }
            finally { Stop-TestSmtpServer $server }
        }
        finally {
            & umount $spool
            $null = $Mounted.Remove($spool)
        }
        @(Get-MailSpool $spool).Count | Should -Be 2
    }

    It 'says the item is back in the spool unchanged when a failed resend cannot be recorded on a full disk' {
        $disk = Join-Path $TestDrive "tmpfs-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $null = New-Item -ItemType Directory $disk
        & mount -t tmpfs -o size=512k tmpfs $disk; $LASTEXITCODE | Should -Be 0
        $Mounted.Add($disk)
        try {
            $spool = Join-Path $disk spool
            $null = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
            $item = Get-MailSpool $spool
            $before = Get-Content ([IO.Path]::ChangeExtension($item.MessagePath, '.meta')) -Raw
            # Fill what is left of the disk.
            & dd if=/dev/zero "of=$disk/fill" bs=4k 2>$null
            $resent = Get-MailSpool $spool | Send-CompositeMail -Backend (New-DeadSmtp) -ErrorVariable failed -ErrorAction SilentlyContinue
            $resent.Succeeded | Should -BeFalse
            $resent.SpoolPath | Should -Be $item.MessagePath
            $failed[0].Exception.Message | Should -Match 'could not be recorded in the spool \(No space left on device.*\): the item is back in the spool unchanged as '
            $failed[0].Exception.Message | Should -Not -Match 'either'
            $item.MessagePath | Should -Exist
            Get-Content ([IO.Path]::ChangeExtension($item.MessagePath, '.meta')) -Raw | Should -Be $before

            # The scheduled-task sample counts the old item as still waiting in the spool, not as lost.
            $taskProfile = Join-Path $TestDrive "full-disk-$([guid]::NewGuid().ToString('N').Substring(0, 6)).psd1"
            Set-Content $taskProfile "@{ Broken = @{ Backends = @( @{ Type = 'Smtp'; Name = 'relay'; SmtpServer = '127.0.0.1'; Port = $(Get-FreeTcpPort); Security = 'None'; RetryCount = 0 } ) } }"
            $task = Invoke-TestPwsh -File (Join-Path $PSScriptRoot '../examples/scheduled-task.ps1') -Arguments '-ProfilePath', $taskProfile, '-Environment', 'Broken', '-ModulePath', $ModulePath, '-SpoolDirectory', $spool
            $task.Output | Should -Match 'Older messages: 0 delivered, 1 still in the spool' -Because $task.Output
            $task.Output | Should -Not -Match "WARNING: .*'Disk report'" -Because 'the old item is still in the spool, as its error says'
            $item.MessagePath | Should -Exist

            # A new message that cannot be written there says it is not in the spool.
            $new = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -SpoolDirectory $spool -ErrorVariable notKept -ErrorAction SilentlyContinue
            $new.SpoolPath | Should -BeNullOrEmpty
            $notKept[0].Exception.Message | Should -Match 'It is not in the spool either: writing it there failed \(No space left on device'

            Remove-Item (Join-Path $disk fill)
            $server = Start-TestSmtpServer
            try {
                $relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -Name relay
                (Get-MailSpool $spool | Send-CompositeMail -Backend $relay).Succeeded | Should -BeTrue
                @(Get-TestSmtpMessage $server).Count | Should -Be 1
            }
            finally { Stop-TestSmtpServer $server }
        }
        finally {
            & umount $disk
            $null = $Mounted.Remove($disk)
        }
    }
}

Describe 'A damaged spool' {
    BeforeAll {
        function New-SpoolWithItems {
            # Three items the dead relay did not take; the second has a Bcc recipient.
            param([int] $Port)
            $spool = New-Spool
            $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -RetryCount 0 -Name relay
            $null = 1..3 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com"; Bcc = @(if ($_ -eq 2) { 'audit@example.com' }); Subject = "Item $_" } } |
                Send-CompositeMail -Backend $dead -From ops@example.com -Body 'b' -SpoolDirectory $spool -ErrorAction SilentlyContinue
            $spool
        }

        function Invoke-Drain {
            param([string] $Spool, [int] $Port, [switch] $Poison)
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -RetryCount 0 -Name relay
            $failures = $null
            $results = Get-MailSpool $Spool -Poison:$Poison | Send-CompositeMail -Backend $smtp -ErrorVariable failures -ErrorAction SilentlyContinue
            [pscustomobject]@{ Results = @($results); Errors = @($failures) }
        }

        function Assert-SetAside {
            # The damaged item is an error for that item only, and waits in the damaged folder with its reason.
            param($Drain, [string] $Spool, [string] $Id, [string] $Reason)
            $Drain.Errors.Count | Should -Be 1
            $Drain.Errors[0].FullyQualifiedErrorId | Should -Be 'DamagedSpoolItem,PSCompositeMail.Commands.SendCompositeMailCommand'
            $Drain.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $Drain.Errors[0].TargetObject.Id | Should -Be $Id
            $Drain.Errors[0].Exception.Message | Should -Match $Reason
            Get-MailSpool $Spool | Should -BeNullOrEmpty
            Join-Path $Spool "damaged/$Id.eml" | Should -Exist
            Get-Content (Join-Path $Spool "damaged/$Id.reason") -Raw | Should -Match $Reason
        }
    }

    BeforeEach {
        $script:Port = Get-FreeTcpPort
        $script:Damaged = New-SpoolWithItems -Port $Port
        $script:Second = (Get-MailSpool $Damaged)[1]
        $script:Server = Start-TestSmtpServer -Port $Port
    }
    AfterEach { Stop-TestSmtpServer $Server }

    It 'sets aside an .eml without its metadata and resends the others' {
        Remove-Item (Join-Path $Damaged "$($Second.Id).meta")
        $drain = Invoke-Drain -Spool $Damaged -Port $Port
        $drain.Results.Subject | Should -Be 'Item 1', 'Item 3'
        (Get-TestSmtpMessage $Server).Message.Subject | Should -Be 'Item 1', 'Item 3'
        Assert-SetAside $drain $Damaged $Second.Id 'metadata'
    }

    It 'never resends a truncated .eml' {
        $file = Join-Path $Damaged "$($Second.Id).eml"
        $bytes = [IO.File]::ReadAllBytes($file)
        [IO.File]::WriteAllBytes($file, $bytes[0..($bytes.Length / 2)])
        $drain = Invoke-Drain -Spool $Damaged -Port $Port
        (Get-TestSmtpMessage $Server).Message.Subject | Should -Be 'Item 1', 'Item 3'
        Assert-SetAside $drain $Damaged $Second.Id 'length'
    }

    It 'never resends an item whose metadata is unreadable (it would lose its Bcc recipients)' {
        Set-Content (Join-Path $Damaged "$($Second.Id).meta") '{"format": 2, "sender": "ops@exa'
        $drain = Invoke-Drain -Spool $Damaged -Port $Port
        $received = Get-TestSmtpMessage $Server
        $received.Message.Subject | Should -Be 'Item 1', 'Item 3'
        $received.RcptTo | Should -Not -Contain 'audit@example.com'
        Assert-SetAside $drain $Damaged $Second.Id 'metadata'
    }

    It 'sets aside an item whose .<File> is <Kind> without opening it, and resends the others' -Skip:$IsWindows -ForEach @(
        @{ File = 'eml'; Kind = 'a named pipe'; Reason = 'not a regular file' }
        @{ File = 'meta'; Kind = 'a named pipe'; Reason = 'not a regular file' }
        @{ File = 'eml'; Kind = 'a folder'; Reason = 'is a folder' }
    ) {
        $target = Join-Path $Damaged "$($Second.Id).$File"
        Remove-Item $target
        $unblocker = $null
        if ($Kind -eq 'a folder') {
            $null = New-Item -ItemType Directory $target
        }
        else {
            mkfifo $target
            # Opening a named pipe blocks until a writer comes. So that a regression fails on its reason instead of
            # hanging the suite, this writer opens each such pipe still in the spool (claimed or not) and closes it.
            $writer = Join-Path $TestDrive 'unblock.sh'
            Set-Content $writer "for i in `$(seq 300); do for f in '$Damaged'/$($Second.Id).$File*; do [ -p `"`$f`" ] && : > `"`$f`"; done; sleep 1; done"
            $unblocker = Start-Process sh -PassThru -ArgumentList $writer
        }
        try {
            $drain = Invoke-Drain -Spool $Damaged -Port $Port
        }
        finally {
            if ($unblocker) { Stop-Process -Id $unblocker.Id -ErrorAction SilentlyContinue }
        }
        $drain.Results.Subject | Should -Be 'Item 1', 'Item 3'
        (Get-TestSmtpMessage $Server).Message.Subject | Should -Be 'Item 1', 'Item 3'
        Assert-SetAside $drain $Damaged $Second.Id $Reason
        Join-Path $Damaged "damaged/$($Second.Id).$File" | Should -Exist
    }

    It 'sets aside a .meta that is a folder, with a reason that says so' {
        $metadata = Join-Path $Damaged "$($Second.Id).meta"
        Remove-Item $metadata
        $null = New-Item -ItemType Directory $metadata
        $drain = Invoke-Drain -Spool $Damaged -Port $Port
        (Get-TestSmtpMessage $Server).Message.Subject | Should -Be 'Item 1', 'Item 3'
        Assert-SetAside $drain $Damaged $Second.Id 'is a folder'
        $metadata | Should -Not -Exist
        Join-Path $Damaged "damaged/$($Second.Id).meta" | Should -Exist
    }

    It 'reports once and sets aside a .meta <Kind> whose .eml is gone, once it is past the grace period' -ForEach @(
        @{ Kind = 'file' }
        @{ Kind = 'folder' }
    ) {
        $metadata = Join-Path $Damaged "$($Second.Id).meta"
        Remove-Item (Join-Path $Damaged "$($Second.Id).eml")
        if ($Kind -eq 'folder') {
            Remove-Item $metadata
            $null = New-Item -ItemType Directory $metadata
        }
        # A .meta younger than the grace period may be an item being written: it is left alone.
        $young = $null
        (Get-MailSpool $Damaged -ErrorVariable young -ErrorAction SilentlyContinue).Count | Should -Be 2
        $young | Should -BeNullOrEmpty
        $metadata | Should -Exist

        (Get-Item $metadata).LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(-5)
        $orphans = $null
        (Get-MailSpool $Damaged -ErrorVariable orphans -ErrorAction SilentlyContinue).Count | Should -Be 2
        $orphans.Count | Should -Be 1
        $orphans[0].FullyQualifiedErrorId | Should -Be 'DamagedSpoolItem,PSCompositeMail.Commands.GetMailSpoolCommand'
        $orphans[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $orphans[0].TargetObject.Id | Should -Be $Second.Id
        $orphans[0].Exception.Message | Should -Match '\.eml is missing'
        $metadata | Should -Not -Exist
        Join-Path $Damaged "damaged/$($Second.Id).meta" | Should -Exist
        Get-Content (Join-Path $Damaged "damaged/$($Second.Id).reason") -Raw | Should -Match '\.eml is missing'

        $again = $null
        (Get-MailSpool $Damaged -ErrorVariable again -ErrorAction SilentlyContinue).Count | Should -Be 2
        $again | Should -BeNullOrEmpty -Because 'it is reported once'
    }

    It 'lists under -WhatIf without moving an orphan .meta aside, and says what it would move; -Confirm:$false moves it' {
        $metadata = Join-Path $Damaged "$($Second.Id).meta"
        Remove-Item (Join-Path $Damaged "$($Second.Id).eml")
        (Get-Item $metadata).LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(-5)
        # -WhatIf writes to the host: a child process shows what it wrote.
        $probe = Join-Path $TestDrive 'whatif-spool.ps1'
        Set-Content $probe @"
Import-Module '$ModulePath'
`$items = Get-MailSpool '$Damaged' -WhatIf
"listed `$(`$items.Count)"
"@
        $whatIf = Invoke-TestPwsh -File $probe
        $whatIf.ExitCode | Should -Be 0 -Because $whatIf.Output
        ($whatIf.Output -replace '\s+', ' ') | Should -Match ('What if: Performing the operation "Move to the damaged folder \(metadata without its \.eml\)" on target "{0}"' -f [regex]::Escape($metadata))
        $whatIf.Output | Should -Match 'listed 2'
        $whatIf.Output | Should -Not -Match 'DamagedSpoolItem|cannot be resent'
        $metadata | Should -Exist
        Join-Path $Damaged "damaged/$($Second.Id).meta" | Should -Not -Exist
        Join-Path $Damaged 'damaged' | Should -Not -Exist

        $moved = $null
        (Get-MailSpool $Damaged -Confirm:$false -ErrorVariable moved -ErrorAction SilentlyContinue).Count | Should -Be 2
        $moved | Should -HaveCount 1
        $metadata | Should -Not -Exist
        Join-Path $Damaged "damaged/$($Second.Id).meta" | Should -Exist
    }

    It 'keeps spool, poison and damaged files owner-only (0600, folders 0700)' -Skip:$IsWindows {
        Remove-Item (Join-Path $Damaged "$($Second.Id).meta")
        $null = Get-MailSpool $Damaged | Select-Object -First 1 | Send-CompositeMail -Backend (New-DeadSmtp) -MaxAttempts 1 -ErrorAction SilentlyContinue
        $null = Invoke-Drain -Spool $Damaged -Port $Port
        $null = Send-CompositeMail -Backend (New-DeadSmtp) -From ops@example.com -To u@example.com -Bcc audit@example.com -Subject Private -Body b -SpoolDirectory $Damaged -ErrorAction SilentlyContinue
        foreach ($folder in $Damaged, "$Damaged/poison", "$Damaged/damaged") {
            (Get-Item $folder).UnixMode | Should -Be 'drwx------' -Because "$folder holds message bodies and envelopes"
        }
        $files = @(Get-ChildItem $Damaged -Recurse -File)
        @($files.Extension | Sort-Object -Unique) | Should -Be '.eml', '.meta', '.reason'
        foreach ($file in $files) {
            $file.UnixMode | Should -Be '-rw-------' -Because "$($file.FullName) is private"
        }
    }

    It 'round-trips a recipient with a space and a comma in its quoted local part' {
        # A TAB would be the hardest case for the metadata, but it is invalid input now (issue 11: never raw in RCPT TO).
        $tabbed = "`"tab here, too`"@example.com"
        $spool = New-Spool
        $dead = New-DeadSmtp
        $null = Send-CompositeMail -Backend $dead -From ops@example.com -To $tabbed -Bcc audit@example.com -Subject 'Tabbed' -Body b -SpoolDirectory $spool -ErrorAction SilentlyContinue
        (Get-MailSpool $spool).To | Should -Be $tabbed, 'audit@example.com'

        $drain = Invoke-Drain -Spool $spool -Port $Port
        $drain.Errors | Should -BeNullOrEmpty
        (Get-TestSmtpMessage $Server).RcptTo | Should -Be $tabbed, 'audit@example.com'
        Get-MailSpool $spool | Should -BeNullOrEmpty
        Get-MailSpool $spool -Poison | Should -BeNullOrEmpty
    }

    It 'resends poison items on purpose: a failure keeps them in poison, a delivery removes them' {
        $poisoned = Get-MailSpool $Damaged | Select-Object -First 1
        $null = $poisoned | Send-CompositeMail -Backend (New-DeadSmtp) -MaxAttempts 1 -ErrorAction SilentlyContinue
        (Get-MailSpool $Damaged -Poison).Id | Should -Be $poisoned.Id

        $null = Get-MailSpool $Damaged -Poison | Send-CompositeMail -Backend (New-DeadSmtp) -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].Exception.Message | Should -Match 'stays in the spool''s poison folder.*Get-MailSpool -Poison'
        (Get-MailSpool $Damaged -Poison).Attempts | Should -Be 3
        (Get-MailSpool $Damaged).Count | Should -Be 2

        $drain = Invoke-Drain -Spool $Damaged -Port $Port -Poison
        $drain.Results.Succeeded | Should -Be $true
        (Get-TestSmtpMessage $Server).Message.Subject | Should -Be 'Item 1'
        Get-MailSpool $Damaged -Poison | Should -BeNullOrEmpty
        (Get-MailSpool $Damaged).Count | Should -Be 2
    }

    It 'still reads and resends an item written by 0.1.0 ("Name: value" metadata), Bcc included' {
        $spool = New-Spool
        $null = New-Item -ItemType Directory $spool
        $id = '20261127T0102030000000Z-00000001-4242-0a1b2c3d'
        [IO.File]::WriteAllText((Join-Path $spool "$id.eml"), "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: Legacy`r`nMessage-Id: <legacy@example.com>`r`n`r`nbody`r`n")
        [IO.File]::WriteAllText((Join-Path $spool "$id.meta"), "Message-Id: legacy@example.com`nSubject: Legacy`nSender: ops@example.com`nRecipients: jane@example.com`taudit@example.com`nFailed-Backends: relay`nPolicy: All`nError: down`nAttempts: 2`nFirst-Failure: 2026-11-27T01:02:03.0000000+00:00`nLast-Failure: 2026-11-27T01:02:03.0000000+00:00`n")
        $item = Get-MailSpool $spool
        $item.To | Should -Be 'jane@example.com', 'audit@example.com'
        $item.Attempts | Should -Be 2

        $drain = Invoke-Drain -Spool $spool -Port $Port
        $drain.Errors | Should -BeNullOrEmpty
        (Get-TestSmtpMessage $Server).RcptTo | Should -Be 'jane@example.com', 'audit@example.com'
        Get-MailSpool $spool | Should -BeNullOrEmpty
    }
}

Describe 'An outbox folder sent later' {
    It 'keeps the Bcc recipients in the envelope and never shows them on the wire' {
        $outbox = Join-Path $TestDrive 'outbox-bcc'
        $null = Send-CompositeMail -Backend (New-MailBackend -Directory $outbox) @Mail -Bcc 'hidden@example.com'
        # A spooled message keeps Bcc only in its metadata: an outbox written by its resend must keep it too.
        $spool = New-Spool
        $null = Send-CompositeMail -Backend (New-DeadSmtp) @Mail -Subject 'From the spool' -Bcc 'secret@example.com' -SpoolDirectory $spool -ErrorAction SilentlyContinue
        # On purpose through another backend than the relay that failed it: -IncludeDeliveredBackends says so.
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -Directory $outbox) -IncludeDeliveredBackends

        $server = Start-TestSmtpServer
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None
            $sent = Get-ChildItem $outbox -Filter *.eml | Sort-Object Name | Send-CompositeMail -Backend $smtp
            $sent.Succeeded | Should -Be $true, $true
            $received = @(Get-TestSmtpMessage $server)
            $received.Count | Should -Be 2
            $received[0].RcptTo | Should -Be 'jane@example.com', 'hidden@example.com'
            $received[1].RcptTo | Should -Be 'jane@example.com', 'secret@example.com'
            $received.Raw | Should -Not -Match 'hidden@example\.com|secret@example\.com|^Bcc:'
        }
        finally { Stop-TestSmtpServer $server }
    }
}
