# Every way a Send-CompositeMail pipeline can end early, at every -ThrottleLimit: each message the cmdlet took must be
# delivered or kept in the spool, exactly once, and no spool item may stay claimed. Each batch runs in its own
# PowerShell instance, so that Stop() can end it as Ctrl+C would.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1

    # Sends numbered messages through an archive folder and an SMTP relay (plus, with -HangOn, a script block that
    # hangs on that message), ending the way $Ending says. $Taken records each message as the upstream hands it over.
    $script:Batch = {
        param($ModulePath, $Run, $RelayPort, $Archive, $Spool, $Throttle, $Ending, $Taken, $Hanging, $HangOn, $Count, $BadEvery, $Log)
        Import-Module $ModulePath
        $global:Hanging = $Hanging
        $backends = @(New-MailBackend -Directory $Archive -Name archive)
        if ($HangOn) {
            $backends += New-MailBackend -Name hang -ScriptBlock ([scriptblock]::Create(
                "param(`$m) if (`$m.Subject -eq '$Run $HangOn') { `$global:Hanging.Set(); Start-Sleep -Seconds 60 }"))
        }
        $backends += New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RelayPort -Security None -RetryCount 0 -Name relay
        $messages = {
            foreach ($n in 1..$Count) {
                if ($Ending -eq 'Stop() while the upstream produces') { Start-Sleep -Milliseconds 100 }
                if ($Ending -eq 'an upstream command that throws' -and $n -eq 10) { throw 'upstream failed' }
                # Recipients named bad* are refused by the relay (550): those messages really fail.
                $to = if ($BadEvery -and $n % $BadEvery -eq 0) { "bad$n@example.com" } else { "u$n@example.com" }
                $Taken.Enqueue("$Run $n")
                [pscustomobject]@{ To = $to; Subject = "$Run $n" }
            }
        }
        $send = @{ Backend = $backends; From = 'ops@example.com'; Body = 'b'; ThrottleLimit = $Throttle }
        if ($Spool) { $send.SpoolDirectory = $Spool }
        if ($Log) { $send.LogPath = $Log }
        switch ($Ending) {
            '-ErrorAction Stop' { & $messages | Send-CompositeMail @send -ErrorAction Stop }
            'a later input that fails to bind, with -ErrorAction Stop' {
                & $messages | Send-CompositeMail @send -ErrorAction Stop -Subject { if ($_.Subject -eq "$Run 3") { throw 'bad row' } $_.Subject }
            }
            '-ErrorAction Stop -WarningAction Stop' { & $messages | Send-CompositeMail @send -ErrorAction Stop -WarningAction Stop }
            'Select-Object -First 3' { & $messages | Send-CompositeMail @send -ErrorAction SilentlyContinue | Select-Object -First 3 }
            'a downstream command that throws' {
                $seen = 0
                & $messages | Send-CompositeMail @send -ErrorAction SilentlyContinue | ForEach-Object { if (++$seen -eq 3) { throw 'downstream failed' } $_ }
            }
            default { & $messages | Send-CompositeMail @send -ErrorAction SilentlyContinue }
        }
    }

    # Resends what a spool holds through the relay, ending the way $Ending says.
    $script:Resend = {
        param($ModulePath, $RelayPort, $Spool, $Throttle, $Ending, $Taken)
        Import-Module $ModulePath
        $relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RelayPort -Security None -RetryCount 0 -Name relay
        switch ($Ending) {
            '-ErrorAction Stop' { Get-MailSpool $Spool | Send-CompositeMail -Backend $relay -ThrottleLimit $Throttle -ErrorAction Stop }
            'Select-Object -First 2' { Get-MailSpool $Spool | Send-CompositeMail -Backend $relay -ThrottleLimit $Throttle | Select-Object -First 2 }
            default {
                Get-MailSpool $Spool | ForEach-Object { $Taken.Enqueue($_.Subject); Start-Sleep -Milliseconds 100; $_ } |
                    Send-CompositeMail -Backend $relay -ThrottleLimit $Throttle -ErrorAction SilentlyContinue
            }
        }
    }

    function Invoke-Instance {
        # Runs a script in a new PowerShell instance; with -StopWhen, stops it once that condition holds.
        param([scriptblock] $Script, [hashtable] $Parameters, [scriptblock] $StopWhen)
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript($Script).AddParameters($Parameters)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $running = $shell.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            if ($StopWhen) {
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while (-not (& $StopWhen) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
                & $StopWhen | Should -BeTrue -Because 'the batch should reach the point where the test stops it'
                $shell.Stop()
            }
            $running.AsyncWaitHandle.WaitOne(60000) | Should -BeTrue -Because 'the batch should end'
            try { $null = $shell.EndInvoke($running) } catch { }
            [pscustomobject]@{ Output = @($output); Warnings = @($shell.Streams.Warning.Message) }
        }
        finally { $shell.Dispose() }
    }

    function Assert-NoClaim {
        param([string] $Spool)
        @(Get-ChildItem $Spool -Recurse -File -Filter '*.claimed-*' -ErrorAction Ignore).Name | Should -BeNullOrEmpty -Because 'claims are released when the pipeline ends'
    }

    function Assert-EachExactlyOnce {
        # Every message taken reached the relay or waits in the spool, one or the other, exactly once. Only a message
        # a stop cut off on its way ($CutOff) may be both: the server can have taken it in the instant before the stop
        # (at least once, as the README says).
        param([string[]] $Taken, [string[]] $Received, [string[]] $Spooled, [string[]] $CutOff = @())
        $Taken.Count | Should -BeGreaterThan 0
        @($Received | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty -Because 'nothing is delivered twice'
        @($Spooled | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty -Because 'nothing is spooled twice'
        @($Received + $Spooled | Where-Object { $_ -notin $Taken }) | Should -BeNullOrEmpty -Because 'only messages the cmdlet took are sent or kept'
        @($Taken | Where-Object { $_ -in $Received -and $_ -in $Spooled -and $_ -notin $CutOff }) | Should -BeNullOrEmpty -Because 'a delivered message is not also spooled'
        @($Taken | Where-Object { $_ -notin $Received -and $_ -notin $Spooled }) | Should -BeNullOrEmpty -Because 'each message taken is delivered or spooled'
    }

    function New-Folder { param([string] $Prefix) Join-Path $TestDrive ("$Prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
}

Describe 'Ending a pipeline early loses no message' {
    BeforeAll {
        $script:Relay = Start-TestSmtpServer -RejectRecipient 'bad'
        $script:DeadPort = Get-FreeTcpPort
    }
    AfterAll { $script:Relay | Stop-TestSmtpServer }

    It 'accounts for every message when it ends through <Ending> (-ThrottleLimit <Throttle>)' -ForEach @(
        foreach ($throttle in 1, 2, 4) {
            @{ Ending = '-ErrorAction Stop'; Throttle = $throttle; Live = $true; BadEvery = 3 }
            @{ Ending = 'Select-Object -First 3'; Throttle = $throttle; Live = $true; BadEvery = 2 }
            @{ Ending = 'a downstream command that throws'; Throttle = $throttle; Live = $true; BadEvery = 2 }
            @{ Ending = 'an upstream command that throws'; Throttle = $throttle; Live = $true; BadEvery = 2 }
            # A dead relay: a worker cut off by Stop() could otherwise have been mid-DATA (delivered and kept, at least once).
            @{ Ending = 'Stop() while the upstream produces'; Throttle = $throttle; Live = $false; BadEvery = 0 }
            # The relay comes after the script block; messages before the hanging one may still be at the relay when the stop comes.
            @{ Ending = 'Stop() while a script block backend runs'; Throttle = $throttle; Live = $true; BadEvery = 0; HangOn = 6 }
        }
    ) {
        $run = 'R' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $spool = New-Folder spool
        $taken = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        $hanging = [System.Threading.ManualResetEventSlim]::new($false)
        $stopWhen = switch -Wildcard ($Ending) {
            'Stop() while the upstream*' { { $taken.Count -ge 9 }.GetNewClosure() }
            'Stop() while a script*' { { $hanging.IsSet }.GetNewClosure() }
        }
        $parameters = @{
            ModulePath = $ModulePath; Run = $run; RelayPort = if ($Live) { $Relay.Port } else { $DeadPort }
            Archive = (New-Folder archive); Spool = $spool; Throttle = $Throttle; Ending = $Ending; Taken = $taken
            Hanging = $hanging; HangOn = $HangOn; Count = 40; BadEvery = $BadEvery; Log = (New-Folder log)
        }
        $output = (Invoke-Instance -Script $Batch -Parameters $parameters -StopWhen $stopWhen).Output

        $received = @(Get-TestSmtpMessage $Relay | ForEach-Object { $_.Message.Subject } | Where-Object { $_ -like "$run *" })
        $kept = @(Get-MailSpool $spool)
        $spooled = @($kept | ForEach-Object Subject)
        $cutOff = @($kept | Where-Object Error -eq 'The send was stopped before it finished.' | ForEach-Object Subject)
        if ($Ending -notlike 'Stop()*') { $cutOff | Should -BeNullOrEmpty -Because 'only a stop cuts a delivery off' }
        $taken.Count | Should -BeLessThan 40 -Because 'the pipeline ended early'
        Assert-EachExactlyOnce -Taken @($taken) -Received $received -Spooled $spooled -CutOff $cutOff
        # The message log has one line for each message settled, however the pipeline ended.
        $logged = @(Get-Content $parameters.Log -ErrorAction Ignore | ConvertFrom-Json | ForEach-Object subject)
        @($logged | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty -Because 'one line per message'
        @($taken | Where-Object { ($_ -in $received -or $_ -in $spooled) -and $_ -notin $logged }) | Should -BeNullOrEmpty -Because 'every message delivered or kept is in the log'
        @($logged | Where-Object { $_ -notin $taken }) | Should -BeNullOrEmpty
        # What was reported as delivered really arrived.
        @($output | Where-Object Succeeded | ForEach-Object Subject | Where-Object { $Live -and $_ -notin $received }) | Should -BeNullOrEmpty
        Assert-NoClaim $spool
    }
}

Describe 'Ending a pipeline early without a spool' {
    BeforeAll { $script:Relay = Start-TestSmtpServer -RejectRecipient 'bad' }
    AfterAll { $script:Relay | Stop-TestSmtpServer }

    It 'names in a warning each message it took and could not report when it ends through <Ending> (-ThrottleLimit <Throttle>)' -ForEach @(
        foreach ($throttle in 1, 2, 4) {
            @{ Ending = '-ErrorAction Stop'; Throttle = $throttle; BadEvery = 3 }
            @{ Ending = '-ErrorAction Stop -WarningAction Stop'; Throttle = $throttle; BadEvery = 3 }
            # Every message is refused, so those in flight when the third row fails to bind have failed unreported.
            @{ Ending = 'a later input that fails to bind, with -ErrorAction Stop'; Throttle = $throttle; BadEvery = 1; Unbound = 3 }
            @{ Ending = 'Select-Object -First 3'; Throttle = $throttle; BadEvery = 2 }
            @{ Ending = 'a downstream command that throws'; Throttle = $throttle; BadEvery = 2 }
            @{ Ending = 'an upstream command that throws'; Throttle = $throttle; BadEvery = 1 }
        }
    ) {
        $run = 'R' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $taken = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        $parameters = @{
            ModulePath = $ModulePath; Run = $run; RelayPort = $Relay.Port; Archive = (New-Folder archive); Spool = $null
            Throttle = $Throttle; Ending = $Ending; Taken = $taken; Hanging = $null; HangOn = 0; Count = 40; BadEvery = $BadEvery
        }
        $ended = Invoke-Instance -Script $Batch -Parameters $parameters

        $received = @(Get-TestSmtpMessage $Relay | ForEach-Object { $_.Message.Subject } | Where-Object { $_ -like "$run *" })
        $reported = @($ended.Output | Where-Object { -not $_.Succeeded } | ForEach-Object Subject)
        $warned = @($ended.Warnings | Where-Object { $_ -match "^'($run \d+)' <[^>]+> was not delivered" } | ForEach-Object { $Matches[1] })
        $taken.Count | Should -BeLessThan 40 -Because 'the pipeline ended early'
        # A row that failed to bind never reached the cmdlet: PowerShell's own error reports it.
        @($taken | Where-Object { $_ -ne "$run $Unbound" } | Where-Object { $_ -notin $received -and $_ -notin $reported -and $_ -notin $warned }) | Should -BeNullOrEmpty -Because 'each message taken is delivered, reported, or named in a warning'
        @($warned | Where-Object { $_ -in $received -or $_ -in $reported }) | Should -BeNullOrEmpty -Because 'a warning names only what was neither delivered nor reported'
    }
}

Describe 'Ending a resend early gives back every claim' {
    BeforeAll {
        $script:Relay = Start-TestSmtpServer -RejectRecipient 'bad'
    }
    AfterAll { $script:Relay | Stop-TestSmtpServer }

    It 'releases every claim when a resend ends through <Ending> (-ThrottleLimit <Throttle>)' -ForEach @(
        foreach ($throttle in 1, 2, 4) {
            @{ Ending = '-ErrorAction Stop'; Throttle = $throttle }
            @{ Ending = 'Select-Object -First 2'; Throttle = $throttle }
            # A dead relay: what a stop cuts off goes back untouched, so nothing may have reached a server.
            @{ Ending = 'Stop() while the upstream produces'; Throttle = $throttle; Stopped = $true }
        }
    ) {
        $spool = New-Folder spool
        $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0 -Name relay
        $run = 'R' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        # Every third item goes to a refused recipient, so -ErrorAction Stop has a failure to stop at.
        $null = 1..20 | ForEach-Object { [pscustomobject]@{ To = if ($_ % 3 -eq 0) { "bad$_@example.com" } else { "u$_@example.com" }; Subject = "$run $_" } } |
            Send-CompositeMail -Backend $dead -From ops@example.com -Body b -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $before = @(Get-MailSpool $spool | ForEach-Object Subject)
        $before.Count | Should -Be 20

        $taken = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        $stopWhen = if ($Stopped) { { $taken.Count -ge 9 }.GetNewClosure() }
        $port = if ($Stopped) { Get-FreeTcpPort } else { $Relay.Port }
        $null = Invoke-Instance -Script $Resend -StopWhen $stopWhen -Parameters @{
            ModulePath = $ModulePath; RelayPort = $port; Spool = $spool; Throttle = $Throttle; Ending = $Ending; Taken = $taken
        }

        Assert-NoClaim $spool
        $received = @(Get-TestSmtpMessage $Relay | ForEach-Object { $_.Message.Subject } | Where-Object { $_ -like "$run *" })
        $left = @(Get-MailSpool $spool | ForEach-Object Subject)
        $received.Count | Should -BeLessThan 20 -Because 'the resend ended early'
        Assert-EachExactlyOnce -Taken $before -Received $received -Spooled $left
    }
}

Describe 'A stop remembers what a backend already took' {
    BeforeAll { $script:Relay = Start-TestSmtpServer }
    AfterAll { $script:Relay | Stop-TestSmtpServer }

    It 'spools each message cut off after the relay took it with the relay among DeliveredBy, so the resend does not mail it again (-ThrottleLimit <Throttle>)' -ForEach @(
        @{ Throttle = 1 }, @{ Throttle = 4 }
    ) {
        $run = 'R' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $spool = New-Folder spool
        $hanging = [System.Threading.ManualResetEventSlim]::new($false)
        # An All composite: the relay answers 250 first, then a script block that is slow on message 3.
        $batch = {
            param($ModulePath, $Run, $RelayPort, $Spool, $Throttle, $Hanging)
            Import-Module $ModulePath
            $global:Hanging = $Hanging
            $relay = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RelayPort -Security None -RetryCount 0 -Name relay
            $slow = New-MailBackend -Name audit -ScriptBlock ([scriptblock]::Create(
                "param(`$m) if (`$m.Subject -eq '$Run 3') { `$global:Hanging.Set(); Start-Sleep -Seconds 60 }"))
            1..12 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com"; Subject = "$Run $_" } } |
                Send-CompositeMail -Backend $relay, $slow -From ops@example.com -Body b -ThrottleLimit $Throttle -SpoolDirectory $Spool -ErrorAction SilentlyContinue
        }
        # Stopped once the script block hangs and the other workers' relay transactions have had time to finish.
        $stopWhen = { if ($hanging.IsSet) { Start-Sleep -Seconds 1; $true } else { $false } }.GetNewClosure()
        $null = Invoke-Instance -Script $batch -StopWhen $stopWhen -Parameters @{
            ModulePath = $ModulePath; Run = $run; RelayPort = $Relay.Port; Spool = $spool; Throttle = $Throttle; Hanging = $hanging
        }

        $received = @(Get-TestSmtpMessage $Relay | ForEach-Object { $_.Message.Subject } | Where-Object { $_ -like "$run *" })
        $kept = @(Get-MailSpool $spool)
        "$run 3" | Should -BeIn $received -Because 'the relay took message 3 before its script block hung'
        "$run 3" | Should -BeIn $kept.Subject -Because 'the script block never finished message 3'
        foreach ($item in $kept | Where-Object Subject -In $received) {
            $item.DeliveredBy | Should -Contain 'relay' -Because "the relay answered 250 for '$($item.Subject)' before the stop"
            $item.Backend -split ', ' | Should -Not -Contain 'relay'
        }

        # The resend goes through the script block only; the relay gets nothing twice.
        $relayAgain = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Relay.Port -Security None -RetryCount 0 -Name relay
        $audit = New-MailBackend -Name audit -ScriptBlock { param($m) }
        $resent = @(Get-MailSpool $spool | Send-CompositeMail -Backend $relayAgain, $audit)
        $resent.Succeeded | Should -Not -Contain $false
        Get-MailSpool $spool | Should -BeNullOrEmpty
        $all = @(Get-TestSmtpMessage $Relay | ForEach-Object { $_.Message.Subject } | Where-Object { $_ -like "$run *" })
        @($all | Group-Object | Where-Object Count -gt 1).Name | Should -BeNullOrEmpty -Because 'the resend skips the relay for what it already took'
    }
}
