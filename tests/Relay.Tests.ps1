# Relays that refuse some recipients for now, die, hang or misbehave: what is retried, what is skipped, what is kept.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1

    function Get-RcptCount {
        param($Server, [string] $Address)
        @(Get-TestSmtpEvent $Server -Event rcpt | Where-Object address -eq $Address).Count
    }

    function New-Batch {
        param([int] $Count, [string] $Subject = 'alert')
        1..$Count | ForEach-Object { [pscustomobject]@{ To = "oncall$_@example.com"; Subject = "$Subject $_" } }
    }
}

Describe 'Recipients refused for now (4xx)' {
    It 'retries only the recipient refused with <Code> and delivers to each recipient exactly once' -ForEach @(
        @{ Code = 450 }, @{ Code = 451 }, @{ Code = 452 }
    ) {
        $server = Start-TestSmtpServer -TempFailRecipient "busy:1:$Code"
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 2 -RetryIntervalSec 0
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com', 'busy@example.com', 'b@example.com' -Subject s -Body b

            $result.Succeeded | Should -BeTrue
            $result.Results[0].PendingRecipients | Should -BeNullOrEmpty
            $result.Results[0].RejectedRecipients | Should -BeNullOrEmpty
            $received = @(Get-TestSmtpMessage $server)
            $received.Count | Should -Be 2
            $received[0].RcptTo | Should -Be 'a@example.com', 'b@example.com'
            $received[1].RcptTo | Should -Be 'busy@example.com'
            $received[1].Message.MessageId | Should -Be $result.MessageId
            Get-RcptCount $server 'busy@example.com' | Should -Be 2
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'keeps a recipient still refused after the retries in the spool for that recipient only, and resends to it alone' {
        $server = Start-TestSmtpServer -TempFailRecipient 'busy:99'
        $later = Start-TestSmtpServer
        try {
            $spool = Join-Path $TestDrive 'partial-spool'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 1 -RetryIntervalSec 0 -Name relay
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com', 'busy@example.com' -Cc 'b@example.com' -Subject partial -Body b `
                -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue

            $result.Succeeded | Should -BeFalse
            $result.Results[0].PendingRecipients | Should -Be 'busy@example.com'
            $result.Results[0].Error | Should -Match 'busy@example\.com: 450.*delivered to the other 2.*after 2 attempts'
            $failures.Count | Should -Be 1
            $failures[0].Exception.Message | Should -Match "backend 'relay' failed: .*busy@example\.com"
            $failures[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            @(Get-TestSmtpMessage $server).RcptTo | Should -Be 'a@example.com', 'b@example.com'
            Get-RcptCount $server 'busy@example.com' | Should -Be 2
            Get-RcptCount $server 'a@example.com' | Should -Be 1

            $kept = @(Get-MailSpool -Path $spool)
            $kept.Count | Should -Be 1
            $kept[0].To | Should -Be 'busy@example.com'

            $retry = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $later.Port -Security None -Name relay
            $resent = Get-MailSpool -Path $spool | Send-CompositeMail -Backend $retry
            $resent.Succeeded | Should -BeTrue
            @(Get-TestSmtpMessage $later).RcptTo | Should -Be 'busy@example.com'
            Get-MailSpool -Path $spool | Should -BeNullOrEmpty
        }
        finally { $server, $later | Stop-TestSmtpServer }
    }

    It 'reports a 5xx recipient (result and warning) and never retries it, while a 4xx one is retried' {
        $server = Start-TestSmtpServer -RejectRecipient 'nobody' -TempFailRecipient 'busy:1'
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryIntervalSec 0
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com', 'nobody@example.com', 'busy@example.com' -Subject s -Body b `
                -WarningVariable warned -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeTrue
            $result.Results[0].RejectedRecipients | Should -Be 'nobody@example.com'
            $warned | Should -Match 'refused recipient nobody@example.com: 550'
            Get-RcptCount $server 'nobody@example.com' | Should -Be 1
            Get-RcptCount $server 'busy@example.com' | Should -Be 2
            (Get-TestSmtpMessage $server).RcptTo | Should -Be 'a@example.com', 'busy@example.com'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'shows a recipient refused for good by a member in every composite around it' {
        $server = Start-TestSmtpServer -RejectRecipient 'nobody'
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -Name relay
            $inner = New-MailBackend -Composite -Backend $smtp, (New-MailBackend -Memory -Name archive) -Policy All -Name inner
            $outer = New-MailBackend -Composite -Backend $inner, (New-MailBackend -Memory -Name audit) -Policy All -Name outer
            $result = Send-CompositeMail -Backend $outer -From ops@example.com -To 'a@example.com', 'nobody@example.com' -Subject s -Body b `
                -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeTrue
            $result.Results[0].RejectedRecipients | Should -Be 'nobody@example.com'
            $result.Results[0].Results[0].RejectedRecipients | Should -Be 'nobody@example.com'
            $result.Results[0].Results[0].Results[0].RejectedRecipients | Should -Be 'nobody@example.com'
            $result.Results[0].Results[1].RejectedRecipients | Should -BeNullOrEmpty
            $result.Results[0].PendingRecipients | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'fails over for the refused recipients only: the backup gets the message for them, no one gets it twice' {
        $primary = Start-TestSmtpServer -TempFailRecipient 'busy:99'
        $backup = Start-TestSmtpServer
        try {
            $first = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $primary.Port -Security None -RetryCount 1 -RetryIntervalSec 0 -Name primary
            $second = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $backup.Port -Security None -Name backup
            $relays = New-MailBackend -Composite -Backend $first, $second -Policy Failover -Name relays
            $result = Send-CompositeMail -Backend $relays -From ops@example.com -To 'a@example.com', 'busy@example.com', 'b@example.com' -Subject s -Body b `
                -WarningVariable warned -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeTrue
            $result.Results[0].Results.Status | Should -Be 'Failed', 'Sent'
            $result.Results[0].Results[0].PendingRecipients | Should -Be 'busy@example.com'
            $warned | Should -Match "backend 'primary' failed: .*busy@example\.com"
            (Get-TestSmtpMessage $primary).RcptTo | Should -Be 'a@example.com', 'b@example.com'
            (Get-TestSmtpMessage $backup).RcptTo | Should -Be 'busy@example.com'
        }
        finally { $primary, $backup | Stop-TestSmtpServer }
    }
}

Describe 'A server that takes a limited number of recipients per message' {
    It 'sends to the recipients past the limit (452 4.5.3) in further transactions, without spending a retry' {
        $server = Start-TestSmtpServer -RecipientLimit 5
        try {
            $spool = Join-Path $TestDrive 'recipient-limit'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 0 -Name relay
            $to = 1..16 | ForEach-Object { "u$_@example.com" }
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To $to -Subject limited -Body b -SpoolDirectory $spool -WarningVariable warned

            $result.Succeeded | Should -BeTrue
            $warned | Should -BeNullOrEmpty
            $received = @(Get-TestSmtpMessage $server)
            $received.Count | Should -Be 4
            @($received | ForEach-Object { $_.RcptTo.Count }) | Should -Be 5, 5, 5, 1
            $received.RcptTo | Sort-Object { [int]($_ -replace '\D') } | Should -Be $to
            Test-Path $spool | Should -BeFalse -Because 'nothing was spooled'
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'A port that does not speak SMTP' {
    It 'fails at once, saying it is not an SMTP server, when it answers with <Mode> instead of a greeting' -ForEach @(
        @{ Mode = 'http'; Says = "is not an SMTP server \(it answers like a web server\): it sent 'HTTP/1\.1 400 Bad Request' instead of an SMTP greeting" }
        @{ Mode = 'tls-alert'; Says = 'is not an SMTP server on a plain connection: it sent a TLS alert, so it expects TLS from the first byte\. Use -Security SslOnConnect' }
    ) {
        $server = Start-MisbehavingSmtpServer -Mode $Mode
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 2 -RetryIntervalSec 0 -Name relay
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match $Says
            $failures[0].CategoryInfo.Category | Should -Be 'ProtocolError'
            Get-TestSmtpConnectionCount $server | Should -Be 1 -Because 'it would answer the same way again: no retry'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'does not retry a port that accepts the connection and never greets, and says what it may be' {
        $server = Start-MisbehavingSmtpServer -Mode silent
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 2 -RetryIntervalSec 0 -Name relay
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorAction SilentlyContinue
            $result.Results[0].Error | Should -Match 'did not answer within 1 s: it accepted the connection but sent no greeting: .*does not speak SMTP \(an HTTPS service.*SslOnConnect'
            Get-TestSmtpConnectionCount $server | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'says a plain-text port did not speak TLS, and which -Security fits, for -Security SslOnConnect' {
        $server = Start-TestSmtpServer
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security SslOnConnect -TimeoutSec 5 -RetryCount 2 -RetryIntervalSec 0 -Name relay
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
            $result.Results[0].Error | Should -Match "did not speak TLS on that port: it greets in plain text \('220 .*'\), so -Security SslOnConnect .* does not fit it\. Use -Security StartTls there"
            $result.Results[0].Error | Should -Not -Match 'certificate'
            # The handshake, and one plain connection to read the greeting; no retry.
            Get-TestSmtpConnectionCount $server | Should -BeLessOrEqual 2
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'Dead and hung relays: the circuit breaker' {
    It 'sends 50 messages to a relay that never greets with at most two connection attempts, and spools them all' {
        $server = Start-MisbehavingSmtpServer -Mode silent
        try {
            $spool = Join-Path $TestDrive 'hung-spool'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 1 -RetryIntervalSec 0 -Name relay
            $results = New-Batch 50 | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -SpoolDirectory $spool `
                -ErrorVariable failures -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue

            @($results).Count | Should -Be 50
            @($results | Where-Object Succeeded).Count | Should -Be 0
            Get-TestSmtpConnectionCount $server | Should -BeLessOrEqual 2
            $results[0].Results[0].Error | Should -Match 'did not answer within 1 s'
            $results[49].Results[0].Error | Should -Match "127\.0\.0\.1:$($server.Port) was not tried: circuit open since \d\d:\d\d:\d\d: no answer within 1 s"
            $failures.Count | Should -Be 50
            $failures[49].CategoryInfo.Category | Should -Be 'ConnectionError'
            @($warned | Where-Object { $_ -match 'is unavailable' }).Count | Should -Be 1
            @(Get-MailSpool -Path $spool).Count | Should -Be 50
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'lets a Failover composite wait on a hung primary once, not once per message' {
        $server = Start-MisbehavingSmtpServer -Mode silent
        try {
            $primary = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0 -Name primary
            $backup = New-MailBackend -Memory -Name backup
            $relays = New-MailBackend -Composite -Backend $primary, $backup -Policy Failover
            $results = New-Batch 20 | Send-CompositeMail -Backend $relays -From ops@example.com -Body b -WarningAction SilentlyContinue

            @($results | Where-Object Succeeded).Count | Should -Be 20
            $results.DeliveredBy | Sort-Object -Unique | Should -Be 'backup'
            $backup.Messages.Count | Should -Be 20
            Get-TestSmtpConnectionCount $server | Should -BeLessOrEqual 2
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'shares the breaker between the connections of a -ThrottleLimit pipeline' {
        $server = Start-MisbehavingSmtpServer -Mode silent
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $results = New-Batch 40 | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -ThrottleLimit 4 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            @($results).Count | Should -Be 40
            @($results | Where-Object Succeeded).Count | Should -Be 0
            # Four connections are in flight when the circuit opens; one worker may start a fifth just before.
            Get-TestSmtpConnectionCount $server | Should -BeLessOrEqual 5
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'probes the relay after the cool-down and closes the circuit when it answers again' {
        $port = Get-FreeTcpPort
        $script:revived = $null
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -RetryCount 0 -CircuitBreakSec 2 -Name relay
            $results = 1..6 | ForEach-Object {
                if ($_ -eq 4) {
                    $script:revived = Start-TestSmtpServer -Port $port
                    Start-Sleep -Milliseconds 2500
                }
                [pscustomobject]@{ To = 'jane@example.com'; Subject = "message $_" }
            } | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            $results.Succeeded | Should -Be $false, $false, $false, $true, $true, $true
            $results[1].Results[0].Error | Should -Match 'Could not connect'
            $results[2].Results[0].Error | Should -Match 'circuit open since .*could not connect'
            (Get-TestSmtpMessage $script:revived).Message.Subject | Should -Be 'message 4', 'message 5', 'message 6'
            Get-TestSmtpConnectionCount $script:revived | Should -Be 1
        }
        finally { Stop-TestSmtpServer $script:revived }
    }

    It 'counts a relay that closes the connection in the middle of DATA as down: nothing counted delivered, all spooled' {
        $server = Start-MisbehavingSmtpServer -Mode close-in-data
        try {
            $spool = Join-Path $TestDrive 'closing-spool'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 1 -RetryIntervalSec 0
            $results = New-Batch 5 | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -SpoolDirectory $spool -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            @($results | Where-Object Succeeded).Count | Should -Be 0
            $results[0].Results[0].Status | Should -Be 'Spooled'
            @(Get-MailSpool -Path $spool).Count | Should -Be 5
            Get-TestSmtpEvent $server -Event message | Should -BeNullOrEmpty
            # Different messages in a row that lose their connection: the relay counts as down after the third.
            @(Get-TestSmtpEvent $server -Event closed-in-data).Count | Should -Be 3
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'keeps the circuit closed when single messages make the relay drop the connection, and retries the one cut off mid-DATA (-ThrottleLimit <Throttle>)' -ForEach @(
        @{ Throttle = 1 }, @{ Throttle = 4 }
    ) {
        $server = Start-MisbehavingSmtpServer -Mode by-subject
        try {
            $spool = Join-Path $TestDrive "one-message-faults-$Throttle"
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -RetryCount 1 -RetryIntervalSec 0 -Name relay
            # Message 10 is taken whole and the connection dropped without a reply; message 11 is large and reset before its final dot.
            $large = 'x' * 76 + "`r`n"
            $rows = 1..48 | ForEach-Object {
                $subject = switch ($_) { 10 { "alert $_ drop-after-data" } 11 { "alert $_ close-in-data" } default { "alert $_" } }
                [pscustomobject]@{ To = "oncall$_@example.com"; Subject = $subject; Body = if ($_ -eq 11) { $large * 80000 } else { 'b' } }
            }
            $results = $rows | Send-CompositeMail -Backend $smtp -From ops@example.com -SpoolDirectory $spool -ThrottleLimit $Throttle `
                -ErrorVariable failures -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue

            @($results).Count | Should -Be 48
            @($warned | Where-Object { $_ -match 'is unavailable' }) | Should -BeNullOrEmpty -Because 'one message at a time is no reason to give up on the relay'
            @($results | Where-Object Succeeded).Count | Should -Be 46
            @(Get-TestSmtpEvent $server -Event message).Count | Should -Be 46
            (Get-TestSmtpEvent $server -Event dropped-after-data).subject | Should -Be 'alert 10 drop-after-data' -Because 'a message sent whole may have been delivered: never retried'
            @(Get-TestSmtpEvent $server -Event closed-in-data).Count | Should -Be 2 -Because 'a message cut off before its final dot is safe to retry (-RetryCount 1)'
            ($results | Where-Object Subject -EQ 'alert 10 drop-after-data').Results[0].Error | Should -Match 'it may have been delivered'
            ($results | Where-Object Subject -EQ 'alert 11 close-in-data').Results[0].Error | Should -Match 'after 2 attempts'
            (Get-MailSpool $spool).Subject | Sort-Object | Should -Be 'alert 10 drop-after-data', 'alert 11 close-in-data'
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'A relay that takes the whole message and never answers' {
    It 'sends each message once, never retries it, reports it as possibly delivered and spools it (-ThrottleLimit <Throttle>)' -ForEach @(
        @{ Throttle = 1 }, @{ Throttle = 4 }
    ) {
        $server = Start-MisbehavingSmtpServer -Mode hang-after-data
        try {
            $spool = Join-Path $TestDrive "unanswered-$Throttle"
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 2 -RetryIntervalSec 0 -Name relay
            $results = New-Batch 4 -Subject unanswered | Send-CompositeMail -Backend $smtp -From ops@example.com -Body b -SpoolDirectory $spool -ThrottleLimit $Throttle `
                -ErrorVariable failures -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue

            $copies = @(Get-TestSmtpEvent $server -Event message)
            $copies.Count | Should -BeGreaterThan 0
            $copies | Group-Object subject | Where-Object Count -ne 1 | Should -BeNullOrEmpty
            @($results | Where-Object Succeeded).Count | Should -Be 0
            $reached = @($results | Where-Object { $copies.subject -contains $_.Subject })
            $reached.Count | Should -Be $copies.Count
            $reached.Results.Error | Should -Match 'did not answer after the whole message was sent; it may have been delivered, so it is not retried automatically \(no answer within 1 s\)$'
            $reached[0].Results[0].Exception | Should -BeOfType ([PSCompositeMail.Smtp.SmtpDeliveryUnconfirmedException])
            @($failures | Where-Object { $_.CategoryInfo.Category -eq 'ConnectionError' }).Count | Should -Be 4
            @(Get-MailSpool -Path $spool).Count | Should -Be 4
            @(Get-MailSpool -Path $spool | Where-Object Error -Match 'it may have been delivered').Count | Should -Be $copies.Count
            # The relay still counts as unhealthy: at -ThrottleLimit 1 the circuit opens after two such messages.
            if ($Throttle -eq 1) {
                $copies.Count | Should -Be 2
                $results[3].Results[0].Error | Should -Match 'was not tried: circuit open since \d\d:\d\d:\d\d: no reply after a message was sent whole: no answer within 1 s'
                @($warned | Where-Object { $_ -match 'is unavailable' }).Count | Should -Be 1
            }
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe '-TimeoutSec bounds each reply' {
    It 'delivers through a relay whose every reply is slow but within the timeout' {
        $server = Start-MisbehavingSmtpServer -Mode slow -Delay 0.7
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 2 -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com', 'b@example.com' -Subject slow -Body b

            $result.Succeeded | Should -BeTrue
            (Get-TestSmtpEvent $server -Event message).rcpt_tos | Should -Be 'a@example.com', 'b@example.com'
            Get-TestSmtpConnectionCount $server | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'gives up on a relay that stops answering in the middle of a session' {
        $server = Start-MisbehavingSmtpServer -Mode stall-at-mail
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match 'did not answer within 1 s'
            $failures[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            (Get-TestSmtpEvent $server -Event command).command | Should -Contain 'MAIL FROM:<ops@example.com>'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'waits for a reply that comes a byte at a time, each within the timeout, when the whole reply is within 4 times it' {
        $server = Start-MisbehavingSmtpServer -Mode drip -Delay 0.05
        try {
            # The greeting and the EHLO reply take about 1.5 s each: over -TimeoutSec 1, within 4 s.
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To 'a@example.com' -Subject drip -Body b

            $result.Succeeded | Should -BeTrue
            (Get-TestSmtpEvent $server -Event message).subject | Should -Be 'drip'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'gives up on a tarpit that drips each reply too slowly to complete within 4 times the timeout, and spools the message' {
        $server = Start-MisbehavingSmtpServer -Mode drip -Delay 0.3
        try {
            $spool = Join-Path $TestDrive 'tarpit-spool'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp @Mail -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match "127\.0\.0\.1:$($server.Port): a reply was not complete within 4 s \(4 times the 1 s timeout\): the server sends it too slowly"
            $failures[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            # The greeting (28 bytes, 8.4 s) was cut off: the client never got to send a command.
            Get-TestSmtpEvent $server -Event command | Should -BeNullOrEmpty
            @(Get-MailSpool -Path $spool).Count | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'holds the 4 times the timeout limit for a reply of endless continuation lines, each in time' {
        $server = Start-MisbehavingSmtpServer -Mode drip-lines -Delay 0.3
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -TimeoutSec 1 -RetryCount 0
            $result = Send-CompositeMail -Backend $smtp @Mail -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match 'a reply was not complete within 4 s \(4 times the 1 s timeout\)'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'drops a server that floods one endless reply (<Mode>) at once as "reply too large", in little memory, and spools the message' -ForEach @(
        @{ Mode = 'flood-line' }, @{ Mode = 'flood-lines' }
    ) {
        $server = Start-MisbehavingSmtpServer -Mode $Mode
        try {
            $spool = Join-Path $TestDrive "flood-$Mode"
            $script = Join-Path $TestDrive "flood-$Mode.ps1"
            Set-Content $script @"
Import-Module '$script:ModulePath'
`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $($server.Port) -Security None -TimeoutSec 30 -RetryCount 1 -RetryIntervalSec 0
`$result = Send-CompositeMail -Backend `$smtp -From ops@example.com -To jane@example.com -Subject flood -Body b -SpoolDirectory '$spool' -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
'error: ' + `$result.Results[0].Error
'peak: ' + [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
"@
            $output = Join-Path $TestDrive "flood-$Mode.out"
            # A hard heap limit keeps a client that buffers the flood from taking the machine down with it: it fails instead.
            $env:DOTNET_GCHeapHardLimit = '0x30000000'
            try { $child = Start-TestPwsh -File $script -OutputFile $output }
            finally { Remove-Item Env:DOTNET_GCHeapHardLimit }
            # Generous: the limit is 1 MB of reply, not the 120 s that 4 times -TimeoutSec 30 would allow.
            $exited = $child.WaitForExit(100000)
            if (-not $exited) { $child.Kill() }
            $exited | Should -BeTrue
            $said = Get-Content $output -Raw
            $said | Should -Match "error: 127\.0\.0\.1:$($server.Port): reply too large: the server sent more than 1 MB"
            [long]($said -split "`n" | Where-Object { $_ -match '^peak: (\d+)' } | ForEach-Object { $Matches[1] }) | Should -BeLessThan 300MB
            @(Get-TestSmtpEvent $server -Event connect).Count | Should -Be 1 -Because 'a reply too large is not retried'
            @(Get-MailSpool -Path $spool).Count | Should -Be 1
        }
        finally { Stop-TestSmtpServer $server }
    }}
