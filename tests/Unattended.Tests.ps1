# Unattended runs: the reason on each result, the message log, the spool's health, the scheduled-task sample's exit
# codes, and tables that read at 80 columns.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1

    function Read-MessageLog {
        param([string] $Path)
        @(Get-Content $Path | ConvertFrom-Json)
    }

    function New-FailoverWithWrongPassword {
        <# A Failover of an aiosmtpd relay that refuses the password (535) and a backup on a closed port. #>
        param($Server, [int] $ClosedPort)
        $wrong = [pscredential]::new('robot', (ConvertTo-SecureString 'wrong-secret-4711' -AsPlainText -Force))
        $primary = New-MailBackend -Smtp -Name primary -SmtpServer 127.0.0.1 -Port $Server.Port -Security None -Credential $wrong -RetryCount 0 -WarningAction SilentlyContinue
        $backup = New-MailBackend -Smtp -Name backup -SmtpServer 127.0.0.1 -Port $ClosedPort -Security None -RetryCount 0
        New-MailBackend -Composite -Name relays -Backend $primary, $backup -Policy Failover
    }
    function New-SampleArguments {
        <# The scheduled-task sample's arguments for a profile with one SMTP relay (on a port nothing listens on, unless
           given) and a spool of its own; -More adds the sample's other parameters. #>
        param([string] $Name, [int] $Port = (Get-FreeTcpPort), [string[]] $More = @())
        $profileFile = Join-Path $TestDrive "$Name.psd1"
        Set-Content $profileFile "@{ Nightly = @{ Backends = @( @{ Type = 'Smtp'; Name = 'relay'; SmtpServer = '127.0.0.1'; Port = $Port; Security = 'None'; RetryCount = 0 } ) } }"
        @('-ProfilePath', $profileFile, '-Environment', 'Nightly', '-ModulePath', $ModulePath, '-SpoolDirectory', (Join-Path $TestDrive "$Name-spool")) + $More
    }
}

Describe 'Reason' {
    BeforeAll {
        $script:Relay = Start-TestSmtpServer -User robot -Password 'right-secret'
        $script:Failover = New-FailoverWithWrongPassword -Server $Relay -ClosedPort (Get-FreeTcpPort)
    }
    AfterAll { Stop-TestSmtpServer $Relay }

    It 'names every member of a Failover that failed, the primary''s 535 and the backup''s refused connection, in one line' {
        $result = Send-CompositeMail -Backend $Failover @Mail -ErrorAction SilentlyContinue -ErrorVariable failed
        $result.Succeeded | Should -BeFalse
        $result.Reason | Should -Match "backend 'primary' failed: .*535"
        $result.Reason | Should -Match "backend 'backup' failed: .*(refused|connect)"
        $result.Reason | Should -Not -Match '[\r\n]'
        $failed | Should -HaveCount 1
        $failed[0].Exception.Message | Should -BeLike "*$($result.Reason)*" -Because 'the reason uses the words of the error'
    }

    It 'names the policy of the composite that decided (Failover), not the default All' {
        $null = Send-CompositeMail -Backend $Failover @Mail -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].Exception.Message | Should -Match '\(policy Failover\)'
    }

    It 'is empty when the message was delivered, even through a fallback' {
        $good = New-MailBackend -Null -Name archive
        $delivered = Send-CompositeMail -Backend (New-MailBackend -Composite -Backend $Failover, $good -Policy Failover) @Mail -WarningAction SilentlyContinue
        $delivered.Succeeded | Should -BeTrue
        $delivered.Reason | Should -BeExactly ''
    }

    It 'shows in the default table' {
        $result = Send-CompositeMail -Backend $Failover @Mail -ErrorAction SilentlyContinue
        $table = $result | Out-String -Width 80
        $table | Should -Match 'Reason'
        $table | Should -Match '535'
    }

    It 'tells apart members that have the same default name ''smtp'' by their place and where they send' {
        $wrong = [pscredential]::new('robot', (ConvertTo-SecureString 'wrong-secret-4711' -AsPlainText -Force))
        $closed = Get-FreeTcpPort
        $primary = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Relay.Port -Security None -Credential $wrong -RetryCount 0 -WarningAction SilentlyContinue
        $backup = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $closed -Security None -RetryCount 0
        $unnamed = New-MailBackend -Composite -Backend $primary, $backup -Policy Failover
        $result = Send-CompositeMail -Backend $unnamed @Mail -ErrorAction SilentlyContinue -ErrorVariable failed

        $result.Reason | Should -Match ("backend 'smtp' #1 \(127\.0\.0\.1:{0} None as robot\) failed: .*535" -f $Relay.Port)
        $result.Reason | Should -Match ("backend 'smtp' #2 \(127\.0\.0\.1:{0} None\) failed: .*(refused|connect)" -f $closed)
        $failed[0].Exception.Message | Should -Match "'smtp' #1 .*'smtp' #2 "
        $result.Results[0].Results.Backend | Should -Be 'smtp', 'smtp' -Because 'the spool matches items to backends by name: the names stay'
    }

    It 'keeps naming a backend whose name is its own alone' {
        $twice = New-MailBackend -Composite -Backend (New-MailBackend -ScriptBlock { throw 'down' }), (New-MailBackend -ScriptBlock { throw 'down' } -Name second) -Policy Failover
        (Send-CompositeMail -Backend $twice @Mail -ErrorAction SilentlyContinue).Reason | Should -BeExactly "backend 'scriptblock' failed: down; backend 'second' failed: down"
    }
}

Describe 'The message log' {
    It 'writes one JSON line per message: delivered, spooled, failed, refused, and resent' {
        $log = Join-Path $TestDrive 'outcomes.log'
        $spool = Join-Path $TestDrive 'outcomes-spool'
        $down = New-MailBackend -ScriptBlock { throw "relay down`e[31m" } -Name relay
        $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -LogPath $log
        $null = Send-CompositeMail -Backend $down @Mail -Subject 'spooled' -SpoolDirectory $spool -LogPath $log -ErrorAction SilentlyContinue
        $null = Send-CompositeMail -Backend $down @Mail -Subject 'failed' -LogPath $log -ErrorAction SilentlyContinue
        $null = Send-CompositeMail -Backend $down -From ops@example.com -To 'not an address' -Subject 'refused' -Body b -LogPath $log -ErrorAction SilentlyContinue
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -Null -Name relay) -LogPath $log

        $lines = Get-Content $log
        $lines | Should -HaveCount 5
        $entries = Read-MessageLog $log
        $entries.outcome | Should -Be 'Delivered', 'Spooled', 'Failed', 'Refused', 'Delivered'
        $entries.resend | Should -Be $false, $false, $false, $false, $true
        foreach ($entry in $entries) {
            $entry.time | Should -BeOfType [datetime]
            $entry.time.Kind | Should -Be 'Utc'
            $entry.PSObject.Properties.Name | Should -Contain 'spoolItem'
        }
        $lines[0] | Should -Match '^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",'

        $entries[0].to | Should -Be 'jane@example.com'
        $entries[0].backends[0].name | Should -Be 'null'
        $entries[0].backends[0].status | Should -Be 'Sent'
        $entries[1].subject | Should -BeExactly 'spooled'
        $entries[1].spoolItem | Should -Match '\.eml$'
        $entries[1].backends[0].status | Should -Be 'Spooled'
        $entries[1].backends[0].error | Should -Match 'relay down'
        $entries[2].reason | Should -Match "backend 'relay' failed: relay down"
        $entries[2].spoolItem | Should -BeNullOrEmpty
        $entries[3].reason | Should -Match 'not an address'
        $entries[4].subject | Should -BeExactly 'spooled'
        $entries[4].backends[0].status | Should -Be 'Sent'
        # Control characters are escaped as JSON does, never written raw.
        (Get-Content $log -Raw) | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        $lines[2] | Should -Match ([regex]::Escape('"error":"relay down\u001b[31m"')) -Because 'a backend error keeps its text, escaped as JSON'
        $entries[2].backends[0].error | Should -BeExactly "relay down`e[31m"
    }

    It 'names the damaged folder''s file of an item set aside when resent' {
        $log = Join-Path $TestDrive 'damaged.log'
        $spool = Join-Path $TestDrive 'damaged-log-spool'
        $null = Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'relay down' } -Name relay) @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $item = Get-MailSpool $spool
        Remove-Item (Join-Path $spool "$($item.Id).meta")
        $null = $item | Send-CompositeMail -Backend (New-MailBackend -Null -Name relay) -LogPath $log -ErrorAction SilentlyContinue -ErrorVariable damaged

        $damaged.FullyQualifiedErrorId | Should -Match '^DamagedSpoolItem'
        $entry = Read-MessageLog $log
        $entry | Should -HaveCount 1
        $entry[0].outcome | Should -Be 'Failed'
        $entry[0].resend | Should -BeTrue
        $entry[0].spoolItem | Should -BeExactly "damaged/$($item.Id).eml"
        Join-Path $spool $entry[0].spoolItem | Should -Exist
    }

    It 'names the poison folder''s file of an item moved there, and says so; a -Poison resend names it too' {
        $log = Join-Path $TestDrive 'poison.log'
        $spool = Join-Path $TestDrive 'poison-log-spool'
        $down = New-MailBackend -ScriptBlock { throw 'relay down' } -Name relay
        $null = Send-CompositeMail -Backend $down @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $id = (Get-MailSpool $spool).Id
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend $down -MaxAttempts 2 -LogPath $log -ErrorAction SilentlyContinue
        $null = Get-MailSpool $spool -Poison | Send-CompositeMail -Backend $down -LogPath $log -ErrorAction SilentlyContinue

        $entries = Read-MessageLog $log
        $entries | Should -HaveCount 2
        $entries.outcome | Should -Be 'Failed', 'Failed'
        $entries.spoolItem | Should -Be "poison/$id.eml", "poison/$id.eml"
        $entries[0].reason | Should -Match 'relay down.*moved to the poison folder after 2 attempts'
        $entries[1].reason | Should -Not -Match 'moved to the poison folder'
        Join-Path $spool $entries[0].spoolItem | Should -Exist
    }

    It 'logs a spool item it took but did not resend: owed to a backend not given (Refused), or not claimable on a read-only spool (Failed)' {
        $log = Join-Path $TestDrive 'not-resent.log'
        $spool = Join-Path $TestDrive 'not-resent-spool'
        $null = Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'relay down' } -Name primary) @Mail -Subject 'owed' -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $id = (Get-MailSpool $spool).Id
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -Null -Name other) -LogPath $log -ErrorVariable failed -ErrorAction SilentlyContinue

        $failed.FullyQualifiedErrorId | Should -BeLike 'SpoolItemNotResent*'
        $entry = Read-MessageLog $log
        $entry | Should -HaveCount 1
        $entry[0].outcome | Should -Be 'Refused'
        $entry[0].subject | Should -BeExactly 'owed'
        $entry[0].resend | Should -BeTrue
        $entry[0].spoolItem | Should -BeExactly "$id.eml"
        $entry[0].reason | Should -Match 'still owed to primary'

        if (-not $IsWindows -and (id -u) -eq '0') {
            & mount --bind $spool $spool
            try {
                & mount -o remount,ro,bind $spool
                $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -Null -Name primary) -LogPath $log -ErrorAction SilentlyContinue
            }
            finally { & umount $spool }
            $entries = Read-MessageLog $log
            $entries | Should -HaveCount 2
            $entries[1].outcome | Should -Be 'Failed'
            $entries[1].reason | Should -Match 'could not be taken for resending'
            $entries[1].spoolItem | Should -BeExactly "$id.eml"
        }
    }

    It 'is readable by its owner only on Unix' -Skip:$IsWindows {
        $log = Join-Path $TestDrive 'private.log'
        $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -LogPath $log
        (Get-Item $log).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
    }

    It 'narrows a wider log to owner-only, also when it is widened between two lines of one call' -Skip:$IsWindows {
        $log = Join-Path $TestDrive 'widened.log'
        Set-Content $log 'older run'
        chmod 644 $log
        # Between the first message's line and the second's, another process of the same user makes the file readable to all.
        $widen = New-MailBackend -ScriptBlock {
            param($message)
            if ($message.Subject -eq 'second') { chmod 644 $log; Set-Content "$log.seen" (Get-Item $log).UnixFileMode }
        } -Name widen
        $results = 'first', 'second' | ForEach-Object { [pscustomobject]@{ Subject = $_ } } |
            Send-CompositeMail -Backend $widen -From ops@example.com -To jane@example.com -Body b -LogPath $log
        $results.Succeeded | Should -Be $true, $true
        [IO.UnixFileMode](Get-Content "$log.seen") | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead') -Because 'the file was widened after the first line'
        (Get-Item $log).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        @(Get-Content $log) | Should -HaveCount 3
    }

    It 'refuses a symbolic link, also one to a file not there yet, with a warning, and creates nothing where it points' -Skip:$IsWindows {
        $target = Join-Path $TestDrive 'elsewhere/new.log'
        $null = New-Item -ItemType Directory (Split-Path $target)
        $dangling = Join-Path $TestDrive 'dangling-link.log'
        $null = New-Item -ItemType SymbolicLink -Path $dangling -Target $target
        $existing = Join-Path $TestDrive 'theirs.txt'
        Set-Content $existing 'theirs'
        chmod 644 $existing
        $toExisting = Join-Path $TestDrive 'existing-link.log'
        $null = New-Item -ItemType SymbolicLink -Path $toExisting -Target $existing

        foreach ($link in $dangling, $toExisting) {
            $memory = New-MailBackend -Memory
            $result = Send-CompositeMail -Backend $memory @Mail -LogPath $link -WarningVariable warned -WarningAction SilentlyContinue
            $result.Succeeded | Should -BeTrue
            $memory.Messages | Should -HaveCount 1
            "$warned" | Should -Match 'symbolic link'
        }
        $target | Should -Not -Exist
        Get-Content $existing | Should -Be 'theirs'
        (Get-Item $existing).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'refuses a symbolic link swapped in for the log between two lines of one call' -Skip:$IsWindows {
        $log = Join-Path $TestDrive 'swapped.log'
        $target = Join-Path $TestDrive 'swapped-target/new.log'
        $null = New-Item -ItemType Directory (Split-Path $target)
        $swap = New-MailBackend -ScriptBlock {
            param($message)
            if ($message.Subject -eq 'second') { Remove-Item $log; $null = New-Item -ItemType SymbolicLink -Path $log -Target $target }
        } -Name swap
        $results = 'first', 'second' | ForEach-Object { [pscustomobject]@{ Subject = $_ } } |
            Send-CompositeMail -Backend $swap -From ops@example.com -To jane@example.com -Body b -LogPath $log -WarningVariable warned -WarningAction SilentlyContinue
        $results.Succeeded | Should -Be $true, $true
        "$warned" | Should -Match 'symbolic link'
        $target | Should -Not -Exist
    }

    It 'starts on a new line after a partial last line, so that both stay apart' {
        $log = Join-Path $TestDrive 'partial.log'
        [IO.File]::WriteAllText($log, "{""time"":""2026-12-07T00:00:00.000Z"",""subj")
        $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -Subject 'after the crash' -LogPath $log
        $lines = @(Get-Content $log)
        $lines | Should -HaveCount 2
        $lines[0] | Should -BeExactly '{"time":"2026-12-07T00:00:00.000Z","subj'
        ($lines[1] | ConvertFrom-Json).subject | Should -BeExactly 'after the crash'
    }

    It 'takes away only group and other bits (and set-id, sticky) of a log, never adds owner write: <Mode> becomes <Expected>' -Skip:$IsWindows -ForEach @(
        @{ Mode = '400'; Expected = '400' }
        @{ Mode = '640'; Expected = '600' }
        @{ Mode = '4600'; Expected = '600' }
        @{ Mode = '1600'; Expected = '600' }
        @{ Mode = '2644'; Expected = '600' }
    ) {
        $log = Join-Path $TestDrive "mode-$Mode.log"
        Set-Content $log 'older run'
        chmod $Mode $log
        $result = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -LogPath $log -WarningVariable warned -WarningAction SilentlyContinue
        $result.Succeeded | Should -BeTrue
        (stat -c '%a' $log) | Should -Be $Expected
        if ($Mode -eq '400') {
            # Also as root, who may write any file: a log made read-only is refused, not written.
            "$warned" | Should -Match 'message log.*read-only'
            Get-Content $log | Should -Be 'older run'
        }
    }

    It 'writes no password, and the reason of a 535' {
        $relay = Start-TestSmtpServer -User robot -Password 'right-secret'
        try {
            $log = Join-Path $TestDrive 'secret.log'
            $null = Send-CompositeMail -Backend (New-FailoverWithWrongPassword -Server $relay -ClosedPort (Get-FreeTcpPort)) @Mail -LogPath $log -ErrorAction SilentlyContinue
            $text = Get-Content $log -Raw
            $text | Should -Not -Match 'wrong-secret-4711'
            $text | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0robot`0wrong-secret-4711"))))
            $entry = Read-MessageLog $log
            $entry.outcome | Should -Be 'Failed'
            $entry.reason | Should -Match '535'
            ($entry.backends | Where-Object name -eq 'primary').error | Should -Match '535'
            ($entry.backends | Where-Object name -eq 'backup').status | Should -Be 'Failed'
        }
        finally { Stop-TestSmtpServer $relay }
    }

    It 'comes from the profile''s LogPath (relative to the profile) when -LogPath is not given' {
        $folder = Join-Path $TestDrive 'profile-log'
        $null = New-Item -ItemType Directory $folder
        $profileFile = Join-Path $folder 'mail.psd1'
        Set-Content $profileFile "@{ Production = @{ LogPath = './mail.log'; Backends = @( @{ Type = 'Null' } ) }; Failover = @{ LogPath = './fo.log'; Policy = 'Failover'; Backends = @( @{ Type = 'Null' } ) } }"
        $backends = Import-MailBackend $profileFile -Environment Production
        $backends.LogPath | Should -Be (Join-Path $folder 'mail.log')
        $null = Send-CompositeMail -Backend $backends @Mail
        (Read-MessageLog (Join-Path $folder 'mail.log')).outcome | Should -Be 'Delivered'

        $null = Import-MailBackend $profileFile -Environment Failover | Send-CompositeMail @Mail
        (Read-MessageLog (Join-Path $folder 'fo.log')).outcome | Should -Be 'Delivered'

        $other = Join-Path $TestDrive 'given.log'
        $null = Send-CompositeMail -Backend $backends @Mail -LogPath $other
        Read-MessageLog (Join-Path $folder 'mail.log') | Should -HaveCount 1 -Because '-LogPath replaces the profile''s log'
        Read-MessageLog $other | Should -HaveCount 1
    }

    It 'comes from the profile''s LogPath also when its backends are wrapped in a composite' {
        $folder = Join-Path $TestDrive 'wrapped-log'
        $null = New-Item -ItemType Directory $folder
        $profileFile = Join-Path $folder 'mail.psd1'
        Set-Content $profileFile "@{ Production = @{ LogPath = './mail.log'; Backends = @( @{ Type = 'Null' } ) } }"
        $wrapped = New-MailBackend -Composite -Backend (Import-MailBackend $profileFile -Environment Production), (New-MailBackend -Null -Name archive)
        $null = Send-CompositeMail -Backend $wrapped @Mail
        (Read-MessageLog (Join-Path $folder 'mail.log')).outcome | Should -Be 'Delivered'
    }

    It 'a log that cannot be written is a warning, and the message still goes' {
        $memory = New-MailBackend -Memory
        $result = Send-CompositeMail -Backend $memory @Mail -LogPath (Join-Path $TestDrive 'no/such/folder/mail.log') -WarningVariable warned -WarningAction SilentlyContinue
        $result.Succeeded | Should -BeTrue
        $memory.Messages | Should -HaveCount 1
        $warned | Should -HaveCount 1
        "$warned" | Should -Match 'message log'
    }

    It 'refuses a device node (here a copy of /dev/null made in the test folder) without changing its mode, and the message still goes' -Skip:($IsWindows -or (id -u) -ne '0') {
        # Never the real /dev/null: a chmod there breaks the whole host. mknod makes the same device elsewhere.
        $device = Join-Path $TestDrive 'null'
        mknod $device c 1 3
        chmod 666 $device
        try {
            $memory = New-MailBackend -Memory
            $result = Send-CompositeMail -Backend $memory @Mail -LogPath $device -WarningVariable warned -WarningAction SilentlyContinue
            $result.Succeeded | Should -BeTrue
            $memory.Messages | Should -HaveCount 1
            "$warned" | Should -Match 'character device'
            (Get-Item $device).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, GroupWrite, OtherRead, OtherWrite')
        }
        finally { Remove-Item $device -Force }
    }

    It 'refuses a named pipe (FIFO) with a warning instead of blocking, and leaves its mode' -Skip:$IsWindows {
        $fifo = Join-Path $TestDrive 'mail.fifo'
        mkfifo -m 644 $fifo
        # In a process of its own, so that the old blocking open cannot hang the suite.
        $script = Join-Path $TestDrive 'fifo.ps1'
        Set-Content $script @"
Import-Module '$ModulePath'
`$memory = New-MailBackend -Memory
`$result = Send-CompositeMail -Backend `$memory -From ops@example.com -To jane@example.com -Subject s -Body b -LogPath '$fifo' -WarningVariable warned -WarningAction SilentlyContinue
"succeeded=`$(`$result.Succeeded) sent=`$(`$memory.Messages.Count) warning=`$warned"
"@
        $output = Join-Path $TestDrive 'fifo.out'
        $process = Start-TestPwsh -File $script -OutputFile $output
        try {
            $process.WaitForExit(120000) | Should -BeTrue -Because 'opening a FIFO for writing blocks until a reader comes'
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
        $text = Get-Content $output -Raw
        $text | Should -Match 'succeeded=True sent=1'
        $text | Should -Match 'named pipe'
        (Get-Item $fifo).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'refuses a log file of another user: no line is written and neither its owner nor its mode changes' -Skip:($IsWindows -or (id -u) -ne '0') {
        $log = Join-Path $TestDrive 'nobody.log'
        Set-Content $log 'kept'
        chmod 644 $log
        chown nobody $log
        $memory = New-MailBackend -Memory
        $result = Send-CompositeMail -Backend $memory @Mail -LogPath $log -WarningVariable warned -WarningAction SilentlyContinue
        $result.Succeeded | Should -BeTrue
        "$warned" | Should -Match 'another user'
        Get-Content $log -Raw | Should -BeExactly "kept$([Environment]::NewLine)"
        (Get-Item $log).User | Should -Be 'nobody'
        (Get-Item $log).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'stays JSON lines after a write on a full disk failed: the partial line is cut off' -Skip:($IsWindows -or (id -u) -ne '0') {
        $disk = Join-Path $TestDrive 'small-disk'
        $null = New-Item -ItemType Directory $disk
        mount -t tmpfs -o size=64k tmpfs $disk
        try {
            $log = Join-Path $disk 'mail.log'
            $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -LogPath $log
            # Fill the disk, then free one page: the next long line gets partly written and then fails.
            $filler = [IO.File]::OpenWrite((Join-Path $disk 'filler'))
            try {
                $page = [byte[]]::new(4096)
                while ($true) { $filler.Write($page, 0, $page.Length); $filler.Flush() }
            }
            catch [IO.IOException] { }
            finally { $filler.Dispose() }
            $fillerFile = Get-Item (Join-Path $disk 'filler')
            $fillerLength = $fillerFile.Length
            $handle = [IO.File]::Open($fillerFile.FullName, 'Open', 'Write'); $handle.SetLength($fillerLength - 4096); $handle.Dispose()

            $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -Subject ('long ' + 'x' * 10000) -LogPath $log -WarningVariable warned -WarningAction SilentlyContinue
            "$warned" | Should -Match 'message log'
            Remove-Item $fillerFile.FullName
            $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -Subject 'after the disk was freed' -LogPath $log
            $entries = Read-MessageLog $log
            $entries.subject | Should -Be 'Disk report', 'after the disk was freed'
        }
        finally { umount $disk }
    }

    It 'keeps every line whole with four processes writing 50 messages each at once' {
        $log = Join-Path $TestDrive 'shared.log'
        $go = Join-Path $TestDrive 'go'
        $writer = Join-Path $TestDrive 'writer.ps1'
        # Each writer loads everything first, then waits for the others, so that their 50 messages overlap in time.
        Set-Content $writer @"
param([int] `$Writer)
Import-Module '$ModulePath'
`$rows = 1..50 | ForEach-Object { [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = "writer `$Writer message `$_ " + ('x' * 300); Body = 'b' } }
`$null = Send-CompositeMail -Backend (New-MailBackend -Null) -From ops@example.com -To jane@example.com -Subject warm-up -Body b
New-Item -ItemType File "$TestDrive/ready`$Writer" | Out-Null
while (-not (Test-Path '$go')) { Start-Sleep -Milliseconds 5 }
`$rows | Send-CompositeMail -Backend (New-MailBackend -Null) -LogPath '$log' | Out-Null
"@
        $processes = 1..4 | ForEach-Object { Start-TestPwsh -File $writer -Arguments $_ -OutputFile (Join-Path $TestDrive "writer$_.out") }
        $deadline = [datetime]::UtcNow.AddMinutes(5)
        while (@(Get-ChildItem $TestDrive -Filter 'ready*').Count -lt 4 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $null = New-Item -ItemType File $go
        $processes | ForEach-Object { $_.WaitForExit(300000) | Should -BeTrue; $_.ExitCode | Should -Be 0 }
        $lines = Get-Content $log
        $lines | Should -HaveCount 200
        $entries = $lines | ForEach-Object { $_ | ConvertFrom-Json }
        @($entries.subject | Sort-Object -Unique) | Should -HaveCount 200
    }
}

Describe 'Spool health' {
    BeforeAll {
        function New-Spooled {
            param([string] $Spool, [string] $Subject, [int] $Count = 1)
            $down = New-MailBackend -ScriptBlock { throw 'relay down' } -Name relay
            1..$Count | ForEach-Object { $null = Send-CompositeMail -Backend $down @Mail -Subject $Subject -SpoolDirectory $Spool -ErrorAction SilentlyContinue }
        }

        function Set-QueuedAgo {
            <# Backdates an item's first and last failure, as if it had waited that long (the digest covers the .eml only). #>
            param($Item, [timespan] $Ago)
            $metadata = Join-Path (Split-Path $Item.MessagePath) "$($Item.Id).meta"
            $json = Get-Content $metadata -Raw | ConvertFrom-Json
            $json.firstFailure = [DateTimeOffset]::UtcNow.Subtract($Ago).ToString('o')
            $json.lastFailure = $json.firstFailure
            [IO.File]::WriteAllText($metadata, ($json | ConvertTo-Json -Compress))
        }

        function Get-FolderState {
            param([string] $Folder)
            Get-ChildItem $Folder -Recurse -Force | Sort-Object FullName | ForEach-Object {
                '{0}|{1}|{2}' -f $_.FullName.Substring($Folder.Length), $_.LastWriteTimeUtc.Ticks, $(if ($_.PSIsContainer) { 'dir' } else { (Get-FileHash $_.FullName).Hash })
            }
        }
    }

    It 'an age of years fits the Age column of the 80-column table on one line: <Ago> shows as <Shown>' -ForEach @(
        @{ Ago = New-TimeSpan -Days 2532 -Hours 1 -Minutes 5; Shown = '2532d' }
        @{ Ago = New-TimeSpan -Days 99 -Hours 23 -Minutes 5; Shown = '99d 23h' }
        @{ Ago = [DateTimeOffset]::UtcNow - [DateTimeOffset]'0001-01-02T00:00:00Z'; Shown = '\d{6}d' }
    ) {
        $spool = Join-Path $TestDrive "ancient-$($Ago.Days)"
        New-Spooled $spool 'ancient report'
        Set-QueuedAgo (Get-MailSpool $spool) $Ago
        $rendered = Get-MailSpool $spool | Out-String -Width 80
        foreach ($line in $rendered -split "`n") { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because $line }
        $rendered | Should -Match "(?m)^\s*$Shown\s+1\s+ancient report\s" -Because "the age is whole on the item's first line:`n$rendered"
        $continued = @($rendered.Trim("`n") -split "`n" | Select-Object -Skip 3)
        foreach ($line in $continued) { $line.PadRight(7).Substring(0, 7).Trim() | Should -BeNullOrEmpty -Because "no part of the age wraps onto a later line:`n$rendered" }
        (Test-MailSpool $spool -WarningAction SilentlyContinue | Out-String -Width 80) | Should -Match "(?m)^False\s+1\s+$Shown\s+0\s"
    }

    It 'items carry Queued, Age and LastAttempt, and a resend keeps Queued' {
        $spool = Join-Path $TestDrive 'queued'
        New-Spooled $spool 'queued'
        $item = Get-MailSpool $spool
        $item.Queued.Offset | Should -Be ([timespan]::Zero)
        $item.Age | Should -BeOfType [timespan]
        $item.Age | Should -BeGreaterOrEqual ([timespan]::Zero)
        $item.LastAttempt | Should -Be $item.Queued
        Set-QueuedAgo (Get-MailSpool $spool) (New-TimeSpan -Hours 2)
        $queued = (Get-MailSpool $spool).Queued
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'still down' } -Name relay) -ErrorAction SilentlyContinue
        $again = Get-MailSpool $spool
        $again.Attempts | Should -Be 2
        $again.Queued | Should -Be $queued
        $again.LastAttempt | Should -BeGreaterThan $again.Queued
        $again.Age | Should -BeGreaterThan (New-TimeSpan -Minutes 119)
    }

    It 'Get-MailSpool -OlderThan lists only the items waiting longer' {
        $spool = Join-Path $TestDrive 'older'
        New-Spooled $spool 'fresh'
        New-Spooled $spool 'old'
        Set-QueuedAgo (Get-MailSpool $spool | Where-Object Subject -eq 'old') (New-TimeSpan -Hours 5)
        (Get-MailSpool $spool -OlderThan (New-TimeSpan -Hours 4)).Subject | Should -Be 'old'
        Get-MailSpool $spool -OlderThan '00:00:00' | Should -HaveCount 2
    }

    It 'Test-MailSpool: healthy while items are young' {
        $spool = Join-Path $TestDrive 'young'
        New-Spooled $spool 'young' -Count 2
        $health = Test-MailSpool -Path $spool -WarningVariable warned
        $health.Healthy | Should -BeTrue
        $health.Waiting | Should -Be 2
        $health.Oldest | Should -BeOfType [timespan]
        $health.Poison | Should -Be 0
        $warned | Should -BeNullOrEmpty
    }

    It 'Test-MailSpool: an empty spool has no Oldest' {
        $spool = New-Item -ItemType Directory (Join-Path $TestDrive 'empty')
        $health = Test-MailSpool $spool.FullName
        $health.Healthy | Should -BeTrue
        $health.Waiting | Should -Be 0
        $health.Oldest | Should -BeNullOrEmpty
    }

    It 'Test-MailSpool: unhealthy with a late item and a poison item, one warning each with subject, age and last error' {
        $spool = Join-Path $TestDrive 'late'
        New-Spooled $spool 'late report'
        New-Spooled $spool 'young report'
        New-Spooled $spool 'poisoned report'
        Set-QueuedAgo (Get-MailSpool $spool | Where-Object Subject -eq 'late report') (New-TimeSpan -Hours 5)
        $null = Get-MailSpool $spool | Where-Object Subject -eq 'poisoned report' |
            Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'refused for good' } -Name relay) -MaxAttempts 1 -ErrorAction SilentlyContinue

        $health = Test-MailSpool -Path $spool -WarningVariable warned -WarningAction SilentlyContinue
        $health.Healthy | Should -BeFalse
        $health.Waiting | Should -Be 2
        $health.Poison | Should -Be 1
        $health.Oldest | Should -BeGreaterThan (New-TimeSpan -Hours 4)
        $warned | Should -HaveCount 2
        "$($warned[0])" | Should -Match "'late report'.*5h 0m.*relay down"
        "$($warned[1])" | Should -Match "'poisoned report'.*poison.*refused for good"
        (Test-MailSpool $spool -MaxAge (New-TimeSpan -Hours 6) -WarningAction SilentlyContinue).Late | Should -BeNullOrEmpty
    }

    It 'Test-MailSpool | Format-List shows the warnings and items escaped: a last error holding escape sequences cannot drive the terminal' {
        $spool = Join-Path $TestDrive 'hostile'
        $down = New-MailBackend -ScriptBlock { throw "relay `e]0;pwned`a`e[2J down" } -Name relay
        $null = Send-CompositeMail -Backend $down @Mail -Subject 'hostile report' -SpoolDirectory $spool -ErrorAction SilentlyContinue
        Set-QueuedAgo (Get-MailSpool $spool) (New-TimeSpan -Hours 5)
        $health = Test-MailSpool $spool -WarningAction SilentlyContinue
        "$($health.Warnings)" | Should -Match "`e"
        $shown = $health | Format-List | Out-String -Width 400
        $shown | Should -Match 'pwned'
        $shown | Should -Not -Match "[`e`a]"
    }

    It 'an item spooled "in the future" (a wrong clock) counts its age from its file time, becomes late, and is warned about' {
        $spool = Join-Path $TestDrive 'skewed'
        New-Spooled $spool 'skewed report'
        $item = Get-MailSpool $spool
        Set-QueuedAgo $item (New-TimeSpan -Days -30)
        (Get-Item $item.MessagePath).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-5)
        $item = Get-MailSpool $spool
        $item.Age | Should -BeGreaterThan (New-TimeSpan -Hours 4)
        $item.QueuedInFuture | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddDays(29))
        $health = Test-MailSpool $spool -WarningVariable warned -WarningAction SilentlyContinue
        $health.Healthy | Should -BeFalse
        $health.Late.Subject | Should -Be 'skewed report'
        "$warned" | Should -Match "'skewed report'.*in the future"
    }

    It 'Test-MailSpool changes nothing: the folder is byte for byte the same, damaged items, orphans and abandoned claims included' {
        $spool = Join-Path $TestDrive 'untouched'
        New-Spooled $spool 'kept' -Count 2
        New-Spooled $spool 'poisoned'
        $null = Get-MailSpool $spool | Where-Object Subject -eq 'poisoned' | Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'no' } -Name relay) -MaxAttempts 1 -ErrorAction SilentlyContinue
        $items = @(Get-MailSpool $spool)
        # An abandoned claim (its process is gone), an .eml without metadata, and an old .meta without its .eml.
        Rename-Item $items[0].MessagePath "$($items[0].Id).eml.claimed-999999-deadbeef"
        Remove-Item (Join-Path $spool "$($items[1].Id).meta")
        $orphan = Join-Path $spool '20260101T0000000000000Z-00000001-4242-0a1b2c3d.meta'
        Set-Content $orphan '{}'
        (Get-Item $orphan).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-3)
        (Get-Item (Join-Path $spool "$($items[1].Id).eml")).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-6)
        $before = Get-FolderState $spool

        $health = Test-MailSpool $spool -WarningVariable warned -WarningAction SilentlyContinue
        Get-FolderState $spool | Should -Be $before
        $health.Waiting | Should -Be 1 -Because 'the claimed item still waits; the one without metadata cannot be resent'
        $health.Poison | Should -Be 1
        $health.Damaged | Should -Be 2 -Because 'the .eml without metadata and the old .meta without its .eml cannot be sent'
        $warned | Should -HaveCount 3
    }

    It 'Test-MailSpool: unhealthy with an .eml without metadata and an old .meta without its .eml, one warning each, as Get-MailSpool sees them' {
        $spool = Join-Path $TestDrive 'unsendable'
        New-Spooled $spool 'kept' -Count 2
        $items = @(Get-MailSpool $spool)
        Remove-Item (Join-Path $spool "$($items[0].Id).meta")
        Remove-Item $items[1].MessagePath
        $young = Join-Path $spool '20260101T0000000000000Z-00000001-4242-0a1b2c3d.meta'
        Set-Content $young '{}'
        (Get-Item (Join-Path $spool "$($items[1].Id).meta")).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-3)
        $before = Get-FolderState $spool

        $health = Test-MailSpool $spool -WarningVariable warned -WarningAction SilentlyContinue
        Get-FolderState $spool | Should -Be $before
        $health.Healthy | Should -BeFalse
        $health.Damaged | Should -Be 2 -Because 'a .meta younger than the grace period may be an item being written'
        $health.Waiting | Should -Be 0
        $health.DamagedInPlace | Split-Path -Leaf | Should -Be "$($items[0].Id).eml", "$($items[1].Id).meta"
        $warned | Should -HaveCount 2
        $warned[0] | Should -Match 'no metadata file'
        $warned[1] | Should -Match '\.eml is missing'
        (Get-MailSpool $spool -WhatIf).Error | Should -Match '^Damaged: it has no metadata file'
    }

    It 'Test-MailSpool: unhealthy with a claim held longer than -MaxAge by a process that still runs, and warns' {
        $spool = Join-Path $TestDrive 'stuck'
        New-Spooled $spool 'held'
        $item = Get-MailSpool $spool
        $claimed = "$($item.MessagePath).claimed-$PID-deadbeef"
        Rename-Item $item.MessagePath $claimed
        (Test-MailSpool $spool -MaxAge 01:00:00 -WarningAction SilentlyContinue).Healthy | Should -BeTrue -Because 'a young claim is a resend at work'
        (Get-Item $claimed).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-2)

        $health = Test-MailSpool $spool -MaxAge 01:00:00 -WarningVariable warned -WarningAction SilentlyContinue
        $health.Healthy | Should -BeFalse
        $health.Stuck.Subject | Should -Be 'held'
        $warned | Should -HaveCount 1
        $warned[0] | Should -Match "'held' .* held by a resend for 2h 0m, longer than 1h 0m"
    }

    It 'reads items written by 0.3.0' {
        $spool = New-Item -ItemType Directory (Join-Path $TestDrive 'v030')
        $id = '20261201T0300000000000Z-00000001-4242-0a1b2c3d'
        $eml = "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: from 0.3.0`r`n`r`nbody`r`n"
        [IO.File]::WriteAllText((Join-Path $spool "$id.eml"), $eml)
        $sha = (Get-FileHash (Join-Path $spool "$id.eml") -Algorithm SHA256).Hash.ToLowerInvariant()
        # The metadata 0.3.0 writes: no field beyond these.
        $meta = [ordered]@{ format = 2; messageId = 'a@example.com'; subject = 'from 0.3.0'; sender = 'ops@example.com'; recipients = @('jane@example.com')
            failedBackends = @('relay'); deliveredBackends = @(); policy = 'All'; error = 'relay down'; attempts = 1
            firstFailure = '2026-12-01T03:00:00.0000000+00:00'; lastFailure = '2026-12-01T03:00:00.0000000+00:00'; messageLength = $eml.Length; messageSha256 = $sha }
        [IO.File]::WriteAllText((Join-Path $spool "$id.meta"), ($meta | ConvertTo-Json -Compress))
        $item = Get-MailSpool $spool.FullName
        $item.Queued | Should -Be ([DateTimeOffset]'2026-12-01T03:00:00Z')
        $item.LastAttempt | Should -Be ([DateTimeOffset]'2026-12-01T03:00:00Z')
        (Test-MailSpool $spool.FullName -WarningAction SilentlyContinue).Healthy | Should -BeFalse
    }

    It 'refuses a negative -MaxAge and -OlderThan' {
        $spool = Join-Path $TestDrive 'negative'
        New-Spooled $spool 'young'
        { Test-MailSpool $spool -MaxAge '-01:00:00' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Get-MailSpool $spool -OlderThan '-01:00:00' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'a folder that does not exist is a SpoolNotFound error' {
        Test-MailSpool (Join-Path $TestDrive 'nowhere') -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -Match '^SpoolNotFound'
    }
}

Describe 'The scheduled-task sample through an outage' {
    It 'exits 0 with the reason in its log, 2 once a report waited too long, 0 when the relay is back, and every report arrives once' {
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $primary = Start-TestSmtpServer -User robot -Password 'right-secret'
        $backupPort = Get-FreeTcpPort
        $profileFile = Join-Path $TestDrive 'nightly.psd1'
        Set-Content $profileFile @"
@{
    Production = @{
        Policy   = 'Failover'
        LogPath  = './mail.log'
        Backends = @(
            @{ Type = 'Smtp'; Name = 'primary'; SmtpServer = '127.0.0.1'; Port = $($primary.Port); Security = 'None'; RetryCount = 0; Credential = @{ UserNameEnv = 'PSCM_TEST_USER'; PasswordEnv = 'PSCM_TEST_PASSWORD' } }
            @{ Type = 'Smtp'; Name = 'backup'; SmtpServer = '127.0.0.1'; Port = $backupPort; Security = 'None'; RetryCount = 0 }
        )
    }
}
"@
        $env:PSCM_TEST_USER = 'robot'
        $env:PSCM_TEST_PASSWORD = 'wrong-secret-4711'
        $spool = Join-Path $TestDrive 'nightly-spool'
        $log = Join-Path $TestDrive 'mail.log'
        $arguments = '-ProfilePath', $profileFile, '-Environment', 'Production', '-ModulePath', $ModulePath, '-SpoolDirectory', $spool, '-MaxAge', '01:00:00'
        $backup = $null
        try {
            # 1. The primary refuses the password, the backup is down: spooled, waiting less than -MaxAge.
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match "Not delivered: .*backend 'primary' failed: .*535.*backend 'backup' failed"
            $entries = Read-MessageLog $log
            $entries.outcome | Should -Be 'Spooled'
            $entries[0].reason | Should -Match '535'
            $entries[0].reason | Should -Match "backend 'backup' failed"

            # 2. The same, after the first report has waited longer than -MaxAge: exit 2, and the warning names it.
            $first = Get-MailSpool $spool
            $metadata = Join-Path $spool "$($first.Id).meta"
            $json = Get-Content $metadata -Raw | ConvertFrom-Json
            $json.firstFailure = [DateTimeOffset]::UtcNow.AddHours(-2).ToString('o')
            [IO.File]::WriteAllText($metadata, ($json | ConvertTo-Json -Compress))
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 2 -Because $run.Output
            $run.Output | Should -Match "has waited 2h 0m in the spool.*535"
            Get-MailSpool $spool | Should -HaveCount 2
            (Read-MessageLog $log).resend | Should -Be $false, $true, $false

            # 3. The backup relay is up: every report arrives, each exactly once, older ones first.
            $backup = Start-TestSmtpServer -Port $backupPort
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match 'Delivered by: backup; spooled: False'
            $received = @(Get-TestSmtpMessage $backup)
            $received | Should -HaveCount 3
            @($received.Message.MessageId | Sort-Object -Unique) | Should -HaveCount 3
            @($received.Message.TextBody | Sort-Object -Unique) | Should -HaveCount 3
            $received[0].Message.MessageId | Should -Be $first.MessageId -Because 'older reports are resent first'
            Get-MailSpool $spool | Should -BeNullOrEmpty
            $last = (Read-MessageLog $log) | Select-Object -Last 3
            $last.outcome | Should -Be 'Delivered', 'Delivered', 'Delivered'
            (Get-Content $log -Raw) | Should -Not -Match 'wrong-secret-4711'
        }
        finally {
            Remove-Item Env:PSCM_TEST_USER, Env:PSCM_TEST_PASSWORD -ErrorAction SilentlyContinue
            Stop-TestSmtpServer $primary
            if ($backup) { Stop-TestSmtpServer $backup }
        }
    }

    It 'exits 2 while a resend claim is stuck longer than -MaxAge, and names it under Needs attention' {
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $arguments = New-SampleArguments stuck -More '-MaxAge', '01:00:00'
        $spool = Join-Path $TestDrive 'stuck-spool'
        (Invoke-TestPwsh -File $Sample -Arguments $arguments).ExitCode | Should -Be 0
        # Held by a process that runs (this one), for two hours: a listing leaves it alone, and it is not late by its age.
        $item = Get-ChildItem $spool -Filter *.eml
        $claimed = Rename-Item $item.FullName "$($item.Name).claimed-$PID-deadbeef" -PassThru
        $claimed.LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2)
        $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
        $run.ExitCode | Should -Be 2 -Because $run.Output
        $run.Output | Should -Match 'Needs attention: 1 spool item\(s\) held by a resend longer than -MaxAge'
    }

    It 'exits 1 when a message went to the poison folder' {
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $arguments = New-SampleArguments poison
        $spool = Join-Path $TestDrive 'poison-spool'
        (Invoke-TestPwsh -File $Sample -Arguments $arguments).ExitCode | Should -Be 0
        $null = Get-MailSpool $spool | Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'no' } -Name relay) -MaxAttempts 1 -ErrorAction SilentlyContinue
        $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $run.Output | Should -Match 'poison'
    }
    It 'exits 1 while a damaged item waits in the damaged folder, not only in the run that set it aside; Test-MailSpool counts and names it' {
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $arguments = New-SampleArguments damaged
        $spool = Join-Path $TestDrive 'damaged-spool'
        (Invoke-TestPwsh -File $Sample -Arguments $arguments).ExitCode | Should -Be 0
        $item = Get-MailSpool $spool
        Remove-Item (Join-Path $spool "$($item.Id).meta")
        $setAside = Invoke-TestPwsh -File $Sample -Arguments $arguments
        $setAside.ExitCode | Should -Be 1 -Because $setAside.Output

        $later = Invoke-TestPwsh -File $Sample -Arguments $arguments
        $later.ExitCode | Should -Be 1 -Because $later.Output
        $later.Output | Should -Match 'damaged'
        $health = Test-MailSpool $spool -WarningVariable warned -WarningAction SilentlyContinue
        $health.Healthy | Should -BeFalse
        $health.Damaged | Should -Be 1
        "$warned" | Should -Match ([regex]::Escape("$($item.Id).reason"))
        "$warned" | Should -Match 'damaged folder'
    }
    It 'still resends the readable older messages when Get-MailSpool reports an item it cannot read, and exits 1 naming it' {
        # $ErrorActionPreference = 'Stop' in the sample: one error from Get-MailSpool (a lone .meta it sets aside) ended
        # the whole resend pipeline, so no older message went out, in this run or any later one.
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $relayPort = Get-FreeTcpPort
        $arguments = New-SampleArguments lone-meta -Port $relayPort
        $spool = Join-Path $TestDrive 'lone-meta-spool'
        (Invoke-TestPwsh -File $Sample -Arguments $arguments).ExitCode | Should -Be 0
        $older = Get-MailSpool $spool
        $lone = Join-Path $spool ('{0}.meta' -f ($older.Id -replace '.$', { if ($_.Value -eq '0') { '1' } else { '0' } }))
        Copy-Item (Join-Path $spool "$($older.Id).meta") $lone
        (Get-Item $lone).LastWriteTimeUtc = [DateTime]::UtcNow.AddMinutes(-10)
        $relay = Start-TestSmtpServer -Port $relayPort
        try {
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 1 -Because $run.Output
            $run.Output | Should -Match ('Needs attention: .*' + [regex]::Escape((Split-Path $lone -Leaf)))
            $received = @(Get-TestSmtpMessage $relay)
            $received.Message.MessageId | Should -Contain $older.MessageId -Because "the readable older report is still resent:`n$($run.Output)"
            $received | Should -HaveCount 2
        }
        finally { Stop-TestSmtpServer $relay }
    }
    It 'exits 1 when its message log cannot be written, and says so under Needs attention' {
        $Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $profileFile = Join-Path $TestDrive 'null.psd1'
        Set-Content $profileFile "@{ Quiet = @{ Backends = @( @{ Type = 'Null' } ) } }"
        $arguments = '-ProfilePath', $profileFile, '-Environment', 'Quiet', '-ModulePath', $ModulePath, '-LogPath', (Join-Path $TestDrive 'no/such/dir/mail.log')
        $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $run.Output | Should -Match 'Needs attention: the message log could not be written'
    }
}

Describe 'The Send-MailMessage form says which SMTP it means' {
    It 'names port 25 and StartTlsWhenAvailable in -WhatIf, and the New-MailBackend call that does the same in -Verbose' {
        # -WhatIf writes to the host: a child process shows what it wrote.
        $probe = Join-Path $TestDrive 'whatif.ps1'
        Set-Content $probe @"
Import-Module '$ModulePath'
Send-CompositeMail -SmtpServer relay.example.com -From ops@example.com -To jane@example.com -Subject s -Body b -WhatIf
New-MailBackend -Smtp -SmtpServer relay.example.com | Send-CompositeMail -From ops@example.com -To jane@example.com -Subject s -Body b -WhatIf
"@
        $whatIf = (Invoke-TestPwsh -File $probe).Output
        $whatIf | Should -Match 'through smtp \(Smtp: relay\.example\.com:25 StartTlsWhenAvailable, as Send-MailMessage\)'
        $whatIf | Should -Match 'through smtp \(Smtp: relay\.example\.com:587 StartTls\)'
        $verbose = Send-CompositeMail -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -RetryCount 0 @Mail -Verbose -ErrorAction SilentlyContinue 4>&1 | Out-String
        $verbose | Should -Match 'New-MailBackend -Smtp -SmtpServer 127\.0\.0\.1 -Port \d+ -Security StartTlsWhenAvailable'
        $verbose | Should -Match '587'
    }

    It 'names port 25 and StartTlsWhenAvailable in the result of a message it sent, and the backend keeps its name' {
        $relay = Start-TestSmtpServer
        try {
            $result = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $relay.Port @Mail -PassThru
            $result.Succeeded | Should -BeTrue
            @(Get-TestSmtpMessage $relay).Count | Should -Be 1
            $backend = $result.Results[0]
            $backend.Backend | Should -BeExactly 'smtp' -Because 'the spool matches items to backends by name'
            $backend.Description | Should -BeExactly "127.0.0.1:$($relay.Port) StartTlsWhenAvailable, as Send-MailMessage"
            $table = $result.Results | Out-String -Width 80
            ($table -replace '\s+', ' ') | Should -Match ([regex]::Escape("127.0.0.1:$($relay.Port) StartTlsWhenAvailable, as Send-MailMessage"))
            foreach ($line in $table -split "`n") { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because $line }
            ($result.Results | Format-List | Out-String -Width 80) | Should -Match 'Description\s*:\s*127\.0\.0\.1'
        }
        finally { Stop-TestSmtpServer $relay }
    }

    It 'keeps the Send-MailMessage note in the result with -UseSsl and -Port, as -WhatIf has it' {
        $closed = Get-FreeTcpPort
        $result = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $closed -UseSsl -RetryCount 0 @Mail -PassThru -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $result.Results[0].Description | Should -BeExactly "127.0.0.1:$closed StartTls, as Send-MailMessage"
    }

    It 'names New-MailBackend''s SMTP without the Send-MailMessage note, and where a failed one sends' {
        $closed = Get-FreeTcpPort
        $result = Send-CompositeMail -Backend (New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $closed -Security None -RetryCount 0) @Mail -ErrorAction SilentlyContinue
        $result.Results[0].Description | Should -BeExactly "127.0.0.1:$closed None"
        ($result.Results | Out-String -Width 80) | Should -Match ([regex]::Escape("127.0.0.1:$closed None"))
    }
}

Describe 'Tables at 80 columns' {
    BeforeAll {
        function Assert-NoWordSplit {
            <# Every word of the values is in the rendering whole (or cut with an ellipsis), never broken across lines. #>
            param([string] $Rendered, [string[]] $Words)
            foreach ($line in $Rendered -split "`n") { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because $line }
            foreach ($word in $Words) { $Rendered | Should -Match ([regex]::Escape($word)) -Because "'$word' must not be split:`n$Rendered" }
        }
    }

    It 'a send result, its backend results and a backend: words whole' {
        $relay = New-MailBackend -ScriptBlock { throw 'Connection refused by the relay server at relay.example.com port 25 after 3 attempts' } -Name relay
        $result = Send-CompositeMail -Backend $relay, (New-MailBackend -Null) -From ops@example.com -To bob@example.com, alice@example.org -Subject 'Nightly report from server01 for production' -Body b -ErrorAction SilentlyContinue
        Assert-NoWordSplit ($result | Out-String -Width 80) 'server01', 'production', 'bob@example.com', 'alice@example.org', 'relay.example.com', 'Reason', 'attempts'
        Assert-NoWordSplit ($result.Results | Out-String -Width 80) 'relay.example.com', 'attempts'
    }

    It 'the Graph backend''s description is whole' {
        $graph = New-MailBackend -Graph -TenantId 00000000-0000-0000-0000-000000000000 -ClientId 11111111-1111-1111-1111-111111111111 -ClientSecret (ConvertTo-SecureString x -AsPlainText -Force) -Mailbox reports@contoso.example.com
        Assert-NoWordSplit ($graph | Out-String -Width 80) 'reports@contoso.example.com', 'secret)'
    }

    It 'a long Test-MailBackend error takes at most six lines, ending in an ellipsis, and the object keeps it whole' {
        $relay = Start-TestSmtpServer -User robot -Password 'old-password' -PasswordAuthReply '535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [SN4PR0601CA0010.namprd06.prod.outlook.com]'
        try {
            $credential = [pscredential]::new('robot', (ConvertTo-SecureString 'old-password' -AsPlainText -Force))
            $test = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $relay.Port -Security None -Credential $credential -WarningAction SilentlyContinue | Test-MailBackend -WarningAction SilentlyContinue
            $test.Error.Length | Should -BeGreaterThan 300 -Because 'the error explains what to do instead'
            $rendered = $test | Out-String -Width 80
            $rows = @($rendered.Trim() -split "`n" | Select-Object -Skip 2)
            $rows.Count | Should -BeLessOrEqual 6
            $rendered | Should -Match '…'
            Assert-NoWordSplit $rendered 'Authentication', 'unsuccessful,'
        }
        finally { Stop-TestSmtpServer $relay }
    }

    It 'the spool''s table shows age, attempts, subject, To and the error' {
        $spool = Join-Path $TestDrive 'table-spool'
        $null = Send-CompositeMail -Backend (New-MailBackend -ScriptBlock { throw 'relay.example.com refused the connection' } -Name relay) -From ops@example.com -To bob@example.com -Subject 'Disk report for server01' -Body b -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $rendered = Get-MailSpool $spool | Out-String -Width 80
        $rendered | Should -Match 'Age\s+Attempts\s+Subject\s+To\s+Error'
        Assert-NoWordSplit $rendered 'bob@example.com', 'server01', 'relay.example.com'
        Assert-NoWordSplit (Test-MailSpool $spool | Out-String -Width 80) 'Healthy'
    }
}

Describe 'From the repository to the server' {
    BeforeAll {
        $script:Units = Join-Path $PSScriptRoot '../examples/systemd'
        $script:Service = Join-Path $Units 'pscompositemail-report.service'
        $script:ExecStart = ((Get-Content $Service | Where-Object { $_ -like 'ExecStart=*' }) -replace '^ExecStart=') -split ' '
    }

    It 'the systemd service and timer pass systemd-analyze verify (pwsh itself is not installed here)' {
        if (-not (Get-Command systemd-analyze -ErrorAction SilentlyContinue)) {
            Set-ItResult -Skipped -Because 'systemd-analyze is not on this machine (apt-get install systemd)'
            return
        }
        # The unit runs /usr/bin/pwsh, which this machine lacks (the tests run PowerShell as a .NET tool): verify
        # copies that run an executable that exists, so that any other complaint shows.
        $copies = New-Item -ItemType Directory (Join-Path $TestDrive 'units')
        (Get-Content $Service -Raw).Replace('/usr/bin/pwsh', '/bin/sh') | Set-Content (Join-Path $copies 'pscompositemail-report.service') -NoNewline
        Copy-Item (Join-Path $Units 'pscompositemail-report.timer') $copies
        $output = & systemd-analyze verify (Join-Path $copies 'pscompositemail-report.service') (Join-Path $copies 'pscompositemail-report.timer') 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output.Trim() | Should -BeNullOrEmpty -Because 'systemd-analyze warns about unknown keys without failing'
        $ExecStart[0..3] | Should -Be '/usr/bin/pwsh', '-NoProfile', '-NonInteractive', '-File'
    }

    It 'the Task Scheduler registration parses and runs the same command line' {
        $file = Join-Path $PSScriptRoot '../examples/Register-ReportTask.ps1'
        $tokens = $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref] $tokens, [ref] $errors)
        $errors | Should -BeNullOrEmpty
        $text = Get-Content $file -Raw
        $text | Should -Match 'Register-ScheduledTask'
        $text | Should -Match '-NoProfile -NonInteractive -File'
        foreach ($parameter in $ExecStart | Where-Object { $_ -like '-*' }) { $text | Should -Match ([regex]::Escape($parameter)) }
    }

    It 'the service''s command line works with the module installed from its package' -Tag Slow {
        $root = Join-Path $PSScriptRoot '..'
        $installed = Join-Path $TestDrive 'modules'
        $null = Save-TestModulePackage -Destination $installed

        # The server's folders, here under the test drive; the sample copied as the README says.
        $server = New-Item -ItemType Directory (Join-Path $TestDrive 'server')
        $paths = @{ '/opt/pscompositemail' = 'opt'; '/etc/pscompositemail' = 'etc'; '/var/lib/pscompositemail' = 'lib'; '/var/log/pscompositemail' = 'log' }
        foreach ($folder in $paths.Values) { $null = New-Item -ItemType Directory (Join-Path $server $folder) }
        Copy-Item (Join-Path $root 'examples/scheduled-task.ps1') (Join-Path $server 'opt')
        Set-Content (Join-Path $server 'etc/mail.psd1') "@{ Production = @{ Backends = @( @{ Type = 'Directory'; Path = '../outbox' } ) } }"
        $arguments = $ExecStart | Select-Object -Skip 1 | ForEach-Object {
            $argument = $_
            foreach ($path in $paths.Keys) { $argument = $argument.Replace($path, (Join-Path $server $paths[$path])) }
            $argument
        }

        $pwsh = Get-PwshCommandLine
        $saved = $env:PSModulePath
        try {
            # The machine's pwsh finds the module by name where Install-PSResource -Scope AllUsers puts it; here, the folder it was saved to.
            $env:PSModulePath = $installed + [IO.Path]::PathSeparator + $saved
            $run = & $pwsh.Path @($pwsh.Arguments | Where-Object { $_ -notin '-NoProfile', '-NonInteractive' }) @arguments 2>&1 | Out-String
            $exitCode = $LASTEXITCODE
            $base = & $pwsh.Path @($pwsh.Arguments) -Command '(Import-Module PSCompositeMail -PassThru).ModuleBase'
        }
        finally { $env:PSModulePath = $saved }
        $exitCode | Should -Be 0 -Because $run
        $run | Should -Match 'Delivered by: directory'
        "$base" | Should -BeLike "$installed*"
        Get-ChildItem (Join-Path $server 'outbox') -Filter *.eml | Should -HaveCount 1
        (Read-MessageLog (Join-Path $server 'log/mail.log')).outcome | Should -Be 'Delivered'
    }
}

Describe 'One-line texts and namesakes' {
    It 'shows a tab as a space and a nested composite''s error on one line in Reason and in the tables; the object keeps the whole text' {
        $torn = New-MailBackend -ScriptBlock { throw "line1`nline2`r`nline3 tab`there" } -Name torn
        $inner = New-MailBackend -Composite -Backend $torn, (New-MailBackend -ScriptBlock { throw 'second' } -Name other) -Policy Failover -Name inner
        $outer = New-MailBackend -Composite -Backend $inner, (New-MailBackend -ScriptBlock { throw 'third' } -Name last) -Policy Failover -Name outer
        $result = Send-CompositeMail -Backend $outer @Mail -ErrorAction SilentlyContinue
        $result.Reason | Should -Match 'line1 line2 line3 tab here'
        $result.Results[0].Results[0].Error | Should -Match "line2`r`nline3 tab`there" -Because 'the object keeps the whole text'
        foreach ($rendered in ($result | Format-Table | Out-String -Width 80), ($result.Results | Format-Table | Out-String -Width 80), ($result | Format-List | Out-String -Width 80)) {
            $rendered | Should -Not -Match "`t"
            $rendered | Should -Not -Match '\\x0[9AD]' -Because "line breaks are spaces in one-line texts:`n$rendered"
        }
        (($result.Results | Format-Table | Out-String -Width 80) -replace '\s+', ' ') | Should -Match 'line1 line2 line3 tab here'
    }

    It 'tells members that share a name apart in the composite''s description, the log''s backends and Test-MailBackend' {
        $first = Get-FreeTcpPort
        $second = Get-FreeTcpPort
        $composite = New-MailBackend -Composite -Policy Failover -Name relays -Backend @(
            New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $first -Security None -RetryCount 0
            New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $second -Security None -RetryCount 0)
        $composite.Description | Should -BeExactly "Failover of smtp #1 (127.0.0.1:$first None), smtp #2 (127.0.0.1:$second None)"
        $log = Join-Path $TestDrive 'namesakes.log'
        $null = Send-CompositeMail -Backend $composite @Mail -LogPath $log -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $entry = Read-MessageLog $log
        $entry.backends.name | Should -Be 'smtp', 'smtp' -Because 'the fields the contract names stay as they are'
        $entry.backends.description | Should -Be "127.0.0.1:$first None", "127.0.0.1:$second None"
        $tested = Test-MailBackend -Backend $composite -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $members = @($tested.Results | ForEach-Object ToString)
        $members[0] | Should -Match ([regex]::Escape("smtp #1 (127.0.0.1:$first None): failed"))
        $members[1] | Should -Match ([regex]::Escape("smtp #2 (127.0.0.1:$second None): failed"))
        $tested.Error | Should -Match ([regex]::Escape("'smtp' #2 (127.0.0.1:$second None) failed"))
    }
}
