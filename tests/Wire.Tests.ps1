# Issue 11, strict on the wire: what a server receives, byte for byte (tests/servers/raw_smtp_server.py records it).
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Raw = Start-TestSmtpServer -Mode raw
    $script:RawUtf8 = Start-TestSmtpServer -Mode raw -SmtpUtf8
    $script:Smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -RetryCount 0
    $script:SmtpUtf8 = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $RawUtf8.Port -Security None -RetryCount 0
    $script:Image = Join-Path $TestDrive 'logo.png'
    [IO.File]::WriteAllBytes($script:Image, [byte[]](0x89, 0x50, 0x4E, 0x47))

    function Get-LastReceived {
        param($Server = $Raw)
        @(Get-TestSmtpMessage $Server)[-1]
    }

    function New-Row {
        <# A pipeline row: the common message with some values replaced or added. #>
        param([hashtable] $Values)
        $row = $Mail.Clone()
        foreach ($key in $Values.Keys) { $row[$key] = $Values[$key] }
        [pscustomobject]$row
    }

    function Get-ReceivedCount {
        param($Server = $Raw)
        @(Get-TestSmtpMessage $Server).Count
    }

    function Send-BadRowThenGoodRow {
        <# Pipes a bad row, then a good one: the bad one must be one InvalidArgument error raised before any backend, and the good one must still go. Returns that error. #>
        param([hashtable] $Bad, [hashtable] $Parameters = @{})
        $before = Get-ReceivedCount
        $rows = @((New-Row $Bad), (New-Row @{ Subject = 'after the bad one' }))
        $results = $rows | Send-CompositeMail -Backend $Smtp @Parameters -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Not -BeNullOrEmpty
        @($results).Count | Should -Be 1
        Get-ReceivedCount | Should -Be ($before + 1)
        (Get-LastReceived).Message.Subject | Should -Be 'after the bad one'
        $failures[0]
    }

    function Get-WireProblem {
        <# Every way the bytes break the rules: a CR or LF that is not part of CRLF, a line over 998 octets, 8-bit or control bytes in the headers. #>
        param([byte[]] $Bytes)
        $lineStart = 0
        $inHeaders = $true
        for ($i = 0; $i -lt $Bytes.Length; $i++) {
            $b = $Bytes[$i]
            if ($b -eq 13 -and ($i + 1 -ge $Bytes.Length -or $Bytes[$i + 1] -ne 10)) { "bare CR at $i" }
            if ($b -eq 10) {
                if ($i -eq 0 -or $Bytes[$i - 1] -ne 13) { "bare LF at $i" }
                $length = $i - $lineStart - 1
                if ($length -gt 998) { "a line of $length octets at $lineStart" }
                if ($length -le 0) { $inHeaders = $false }
                $lineStart = $i + 1
            }
            elseif ($inHeaders -and $b -ne 13 -and $b -ne 9 -and ($b -lt 32 -or $b -ge 127)) { "byte 0x{0:X2} in the headers at $i" -f $b }
        }
    }
}
AfterAll { $script:Raw, $script:RawUtf8 | Stop-TestSmtpServer }

Describe 'No bare CR or LF on the wire' {
    It 'ends every body line in CRLF, so a bare CR before a dot line cannot end the data early' {
        $result = Send-CompositeMail -Backend $Smtp @Mail -Body "a`r.`r`nmiddle`rlast`nend"
        $result.Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Message.TextBody | Should -Match 'end'
    }

    It 'repairs an .eml file given as input whose body holds a bare CR' {
        $eml = Join-Path $TestDrive 'bare-cr.eml'
        [IO.File]::WriteAllBytes($eml, [Text.Encoding]::ASCII.GetBytes(
                "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: bare`r`nMIME-Version: 1.0`r`nContent-Type: text/plain`r`n`r`nfirst`r.`r`nsecond`r`n"))
        (Send-CompositeMail -Backend $Smtp -Path $eml).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Message.TextBody | Should -Match 'second'
    }

    It 'sends an .eml file written with LF line ends (as on Unix) with CRLF, and nothing else changed' {
        $eml = Join-Path $TestDrive 'unix.eml'
        [IO.File]::WriteAllText($eml, "From: ops@example.com`nTo: jane@example.com`nSubject: unix`nX-Folded: a`n b`n`nhello`nworld`n")
        (Send-CompositeMail -Backend $Smtp -Path $eml).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Raw | Should -Match "X-Folded: a`r`n b`r`n"
        $received.Raw | Should -Match "`r`n`r`nhello`r`nworld`r`n"
    }
}

Describe 'No raw control or 8-bit bytes in headers' {
    It 'refuses <Name> in -<Parameter> as invalid input, before any backend, and sends the next message' -ForEach @(
        foreach ($parameter in 'MessageId', 'InlineAttachments', 'Headers') {
            foreach ($character in @(
                    @{ Name = 'NUL'; Char = [char]0 }, @{ Name = 'ESC'; Char = [char]0x1B }, @{ Name = 'VT'; Char = [char]0x0B },
                    @{ Name = 'FF'; Char = [char]0x0C }, @{ Name = 'DEL'; Char = [char]0x7F }, @{ Name = 'U+2028'; Char = [char]0x2028 })) {
                @{ Parameter = $parameter; Name = $character.Name; Char = $character.Char }
            }
        }
    ) {
        $value = "id$($Char)x@example.com"
        $row = switch ($Parameter) {
            'MessageId' { @{ MessageId = $value } }
            'InlineAttachments' { @{ HtmlBody = "<img src=`"cid:$value`">"; InlineAttachments = @{ $value = $Image } } }
            'Headers' { @{ Headers = @{ 'X-Note' = $value } } }
        }
        $failure = Send-BadRowThenGoodRow $row
        $failure.Exception.Message | Should -Match "-$Parameter"
    }

    It 'refuses a non-ASCII -MessageId or inline image id' {
        $null = Send-CompositeMail -Backend $Smtp @Mail -MessageId 'grüße@example.com' -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $null = Send-CompositeMail -Backend $Smtp @Mail -HtmlBody '<img src="cid:bild">' -InlineAttachments @{ 'bïld' = $Image } -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'encodes non-ASCII -Headers values that can be encoded' {
        (Send-CompositeMail -Backend $Smtp @Mail -Headers @{ 'X-Greeting' = 'grüße' }).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Message.Headers['X-Greeting'] | Should -Be 'grüße'
    }

    It 'sends raw UTF-8 only to a server that offers SMTPUTF8, and declares it' {
        $before = Get-ReceivedCount
        $result = Send-CompositeMail -Backend $Smtp @Mail -Headers @{ 'In-Reply-To' = '<grüße@example.com>' } -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'SMTPUTF8'
        Get-ReceivedCount | Should -Be $before

        (Send-CompositeMail -Backend $SmtpUtf8 @Mail -Headers @{ 'In-Reply-To' = '<grüße@example.com>' }).Succeeded | Should -BeTrue
        $received = Get-LastReceived $RawUtf8
        $received.MailCommand | Should -Match ' SMTPUTF8'
        $received.Raw | Should -Match 'In-Reply-To: <grüße@example\.com>'
    }
}

# Issue 20, item 9: the subject, display names and file names are RFC 2047/2231-encoded, so their control characters
# never touched the wire as bytes; the reader's client decodes them and shows or acts on them. One rule for every
# header value and file name: refused before sending, as -Headers refuses them.
Describe 'One rule for the text of every header: the subject, display names and file names' {
    It 'refuses <Name> in <Where>, escaped in the error and its target, before any backend, and sends the next message' -ForEach @(
        foreach ($where in 'the subject', 'a display name', 'a file name') {
            foreach ($character in @(
                    @{ Name = 'NUL'; Char = [char]0 }, @{ Name = 'ESC'; Char = [char]0x1B }, @{ Name = 'DEL'; Char = [char]0x7F },
                    @{ Name = 'VT'; Char = [char]0x0B }, @{ Name = 'U+2028'; Char = [char]0x2028 }, @{ Name = 'C1 NEL'; Char = [char]0x85 },
                    @{ Name = 'C1 CSI'; Char = [char]0x9B }, @{ Name = 'RLO'; Char = [char]0x202E }, @{ Name = 'LRI'; Char = [char]0x2066 })) {
                # A file name cannot hold NUL on Unix or Windows.
                if ($where -ne 'a file name' -or $character.Name -ne 'NUL') { @{ Where = $where; Name = $character.Name; Char = $character.Char } }
            }
        }
        @{ Where = 'a file name'; Name = 'a zero-width space'; Char = [char]0x200B }
        @{ Where = 'a file name'; Name = 'a zero-width joiner'; Char = [char]0x200D }
        @{ Where = 'a file name'; Name = 'a soft hyphen'; Char = [char]0xAD }
    ) {
        $row = switch ($Where) {
            'the subject' { @{ Subject = "Report$($Char)x" } }
            'a display name' { @{ To = "`"Jane$($Char)Doe`" <jane@example.com>" } }
            'a file name' {
                $file = Join-Path $TestDrive "invoice$($Char)fdp.exe"
                Set-Content -LiteralPath $file 'x'
                @{ Attachments = $file }
            }
        }
        $failure = Send-BadRowThenGoodRow $row
        "$failure" | Should -Match 'control character|formatting character'
        $named = if ([int]$Char -le 0xFF) { '\x{0:X2}' -f [int]$Char } else { '\u{0:X4}' -f [int]$Char }
        "$failure" | Should -Match ([regex]::Escape($named))
        $shown = if ([Globalization.CharUnicodeInfo]::GetUnicodeCategory($Char) -eq 'Format' -and $Char -notin [char]0x202E, [char]0x2066) {
            # Invisible but harmless to a terminal: named in the message; the target keeps the value.
            "$failure"
        } else { "$failure", $failure.CategoryInfo.TargetName, $failure.CategoryInfo.GetMessage() }
        foreach ($text in $shown) { $text.IndexOf($Char) | Should -Be -1 -Because 'the refused character is shown escaped' }
    }

    It 'still sends a subject with an emoji joined by U+200D, and right-to-left text with its marks' {
        $subject = "Family $([char]::ConvertFromUtf32(0x1F468))$([char]0x200D)$([char]::ConvertFromUtf32(0x1F469)) $([char]0x200F)שלום"
        (Send-CompositeMail -Backend $Smtp @Mail -Subject $subject).Succeeded | Should -BeTrue
        (Get-LastReceived).Message.Subject | Should -Be $subject
    }
}

Describe 'Raw UTF-8 in a DKIM-signed message' {
    It 'goes no more than the unsigned one to a server without SMTPUTF8' {
        . $PSScriptRoot/signing.ps1
        $key = New-TestDkimKey -Folder (Join-Path $TestDrive 'dkim') -Type rsa
        $signed = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -RetryCount 0 -DkimDomain example.com -DkimSelector wire -DkimPrivateKeyPath $key
        $before = Get-ReceivedCount
        $result = Send-CompositeMail -Backend $signed @Mail -Headers @{ 'In-Reply-To' = '<grüße@example.com>' } -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'SMTPUTF8'
        Get-ReceivedCount | Should -Be $before
    }
}

Describe 'No line longer than 998 characters' {
    It 'folds long -Headers values' {
        $words = (1..600 | ForEach-Object { "word$_" }) -join ' '
        (Send-CompositeMail -Backend $Smtp @Mail -Headers @{ 'X-Words' = $words }).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Message.Headers['X-Words'] | Should -Be $words
    }

    It 'refuses what cannot be folded: <Name>' -ForEach @(
        @{ Name = 'a 3,000-character -MessageId'; Row = @{ MessageId = ('x' * 3000) + '@example.com' }; Parameter = 'MessageId' }
        @{ Name = 'a 3,000-character References token'; Row = @{ Headers = @{ References = '<' + ('x' * 3000) + '@example.com>' } }; Parameter = 'Headers' }
    ) {
        $before = Get-ReceivedCount
        $null = Send-CompositeMail -Backend $Smtp @Mail @Row -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match "-$Parameter"
        Get-ReceivedCount | Should -Be $before
    }

    It 're-folds an .eml file whose header lines are too long' {
        $eml = Join-Path $TestDrive 'long-subject.eml'
        $subject = (1..500 | ForEach-Object { "w$_" }) -join ' '
        Set-Content $eml -NoNewline "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: $subject`r`n`r`nbody`r`n"
        (Send-CompositeMail -Backend $Smtp -Path $eml).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Message.Subject | Should -Be $subject
    }

    It 'refuses an .eml file with a header line that cannot be folded, and goes on' {
        $eml = Join-Path $TestDrive 'long-id.eml'
        Set-Content $eml -NoNewline "From: ops@example.com`r`nTo: jane@example.com`r`nMessage-Id: <$('x' * 3000)@example.com>`r`nSubject: long id`r`n`r`nbody`r`n"
        $good = Join-Path $TestDrive 'good.eml'
        Set-Content $good -NoNewline "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: fine`r`n`r`nbody`r`n"
        $before = Get-ReceivedCount
        $results = Send-CompositeMail -Backend $Smtp -Path $eml, $good -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Be $eml
        $results.Subject | Should -Be 'fine'
        Get-ReceivedCount | Should -Be ($before + 1)
    }
}

Describe 'One bad row never stops the batch' {
    It 'reports each bad row with its category and target, and sends the others' {
        $rows = @(
            New-Row @{ Subject = 'empty id'; MessageId = '<>' }
            New-Row @{ Subject = 'two ids'; MessageId = 'a@b> <c@d' }
            New-Row @{ Subject = 'empty image key'; HtmlBody = '<img src="cid:">'; InlineAttachments = @{ '' = $Image } }
            New-Row @{ Subject = 'no such drive'; Attachments = 'nosuchdrive:/report.pdf' }
            New-Row @{ Subject = 'not a file'; Attachments = 'Env:PATH' }
            New-Row @{ Subject = 'good one' }
        )
        $before = Get-ReceivedCount
        $results = $rows | Send-CompositeMail -Backend $Smtp -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 5
        $failures.CategoryInfo.Category | Should -Be 'InvalidArgument', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument'
        $failures[0].TargetObject | Should -Be '<>'
        $failures[1].TargetObject | Should -Be 'a@b> <c@d'
        $failures[2].Exception.Message | Should -Match '-InlineAttachments'
        $failures[3].TargetObject | Should -Be 'nosuchdrive:/report.pdf'
        $failures[4].TargetObject | Should -Be 'Env:PATH'
        $results.Subject | Should -Be 'good one'
        Get-ReceivedCount | Should -Be ($before + 1)
        (Get-LastReceived).Message.Subject | Should -Be 'good one'
    }
}

Describe '-Headers cannot override what other parameters own' {
    It 'refuses <Header> in -Headers, naming -<Owner>' -ForEach @(
        @{ Header = 'To'; Owner = 'To' }, @{ Header = 'From'; Owner = 'From' }, @{ Header = 'Cc'; Owner = 'Cc' }, @{ Header = 'bcc'; Owner = 'Bcc' }
        @{ Header = 'Sender'; Owner = 'Sender' }, @{ Header = 'Content-Type'; Owner = 'Body' }
        @{ Header = 'Content-Transfer-Encoding'; Owner = 'Encoding' }, @{ Header = 'MIME-Version'; Owner = 'Body' }
    ) {
        $before = Get-ReceivedCount
        $null = Send-CompositeMail -Backend $Smtp @Mail -Headers @{ $Header = 'evil@example.com' } -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match "-$Owner\b"
        Get-ReceivedCount | Should -Be $before
    }
}

Describe 'Structured -Headers are checked before any backend' {
    It 'refuses <Name>, with the value as target, and sends the next row' -ForEach @(
        @{ Name = 'a Date that is no date'; Header = 'Date'; Value = 'bogus' }
        @{ Name = 'an In-Reply-To that is no msg-id'; Header = 'In-Reply-To'; Value = 'the report of Monday' }
        @{ Name = 'References with a broken id'; Header = 'References'; Value = '<a@example.com> <broken' }
        @{ Name = 'a List-Unsubscribe URL without angle brackets'; Header = 'List-Unsubscribe'; Value = 'https://example.com/leave' }
        @{ Name = 'a List-Id without its <list.id>'; Header = 'List-Id'; Value = 'ops alerts' }
        @{ Name = 'a List-Unsubscribe-Post other than One-Click'; Header = 'List-Unsubscribe-Post'; Value = 'yes' }
        @{ Name = 'a List-Unsubscribe-Post without a List-Unsubscribe'; Header = 'List-Unsubscribe-Post'; Value = 'List-Unsubscribe=One-Click' }
        @{ Name = 'a javascript: List-Unsubscribe URL'; Header = 'List-Unsubscribe'; Value = '<javascript:alert(1)>' }
        @{ Name = 'a Date at 25:61:61'; Header = 'Date'; Value = 'Tue, 1 Jul 2003 25:61:61 +0000' }
        @{ Name = 'a Date in the zone +9959'; Header = 'Date'; Value = 'Tue, 1 Jul 2003 10:52:37 +9959' }
        @{ Name = 'a Date with junk after the zone'; Header = 'Date'; Value = '1 Jul 2003 10:52:37 +0200 (CEST) trailing junk' }
    ) {
        $failure = Send-BadRowThenGoodRow @{ Headers = @{ $Header = $Value } }
        $failure.Exception.Message | Should -Match ([regex]::Escape("-Headers['$Header']"))
        $failure.TargetObject | Should -Be $Value
    }

    It 'refuses <Header>, which only servers or signers write, saying why' -ForEach @(
        @{ Header = 'Return-Path'; Reason = '-Sender' }
        @{ Header = 'Received'; Reason = 'trace' }
        @{ Header = 'Resent-From'; Reason = '-Path' }
        @{ Header = 'resent-date'; Reason = '-Path' }
        @{ Header = 'DKIM-Signature'; Reason = '-DkimDomain' }
        @{ Header = 'Authentication-Results'; Reason = 'verdict' }
        @{ Header = 'ARC-Seal'; Reason = 'verdict' }
        @{ Header = 'Received-SPF'; Reason = 'verdict' }
        @{ Header = 'X-Original-Authentication-Results'; Reason = 'verdict' }
        @{ Header = 'Delivered-To'; Reason = 'delivers' }
        @{ Header = 'DomainKey-Signature'; Reason = 'replays' }
        @{ Header = 'X-MS-Exchange-Organization-SCL'; Reason = 'verdict' }
        @{ Header = 'X-MS-Exchange-Organization-AuthAs'; Reason = 'who authenticated' }
        @{ Header = 'X-Forefront-Antispam-Report'; Reason = 'verdict' }
        @{ Header = 'X-Spam-Status'; Reason = 'verdict' }
        @{ Header = 'X-Spam-Flag'; Reason = 'verdict' }
        @{ Header = 'X-Authentication-Warning'; Reason = 'verdict' }
        @{ Header = 'X-Received'; Reason = 'trace' }
        @{ Header = 'X-Original-To'; Reason = 'envelope' }
        @{ Header = 'X-Envelope-From'; Reason = 'envelope' }
    ) {
        $before = Get-ReceivedCount
        $null = Send-CompositeMail -Backend $Smtp @Mail -Headers @{ $Header = 'from a script' } -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match "cannot set '$Header'.*$Reason"
        $failures[0].TargetObject | Should -Be $Header
        Get-ReceivedCount | Should -Be $before
    }

    It 'refuses a <Name> as a -Headers value instead of sending its .NET type name' -ForEach @(
        @{ Name = 'list'; Value = @('a', 'b') }
        @{ Name = 'table'; Value = @{ a = 'b' } }
    ) {
        $failure = Send-BadRowThenGoodRow @{ Headers = @{ 'X-Arr' = $Value } }
        $failure.Exception.Message | Should -Match 'one text per header'
    }

    It 'refuses two -Headers names that differ only in letter case, instead of losing one' {
        $headers = [hashtable]::new([StringComparer]::Ordinal)
        $headers['X-Dup'] = 'one'
        $headers['x-dup'] = 'two'
        $failure = Send-BadRowThenGoodRow @{ Headers = $headers }
        $failure.Exception.Message | Should -Match 'twice'
    }

    It 'keeps a valid Date as written, -0000 (no zone information) included' {
        (Send-CompositeMail -Backend $Smtp @Mail -Headers @{ Date = 'Tue, 1 Jul 2003 10:52:37 -0000' }).Succeeded | Should -BeTrue
        (Get-LastReceived).Raw | Should -Match "`r`nDate: Tue, 1 Jul 2003 10:52:37 -0000`r`n"
    }

    It 'sends valid structured headers, written in their normal form' {
        $headers = @{
            'Date'                  = '1 Dec 2026 10:00 +0100'
            'In-Reply-To'           = 'inc-41@tickets.example.com'
            'References'            = 'inc-40@tickets.example.com<inc-41@tickets.example.com>'
            'List-Unsubscribe'      = '<mailto:leave@example.com?subject=leave>, <https://example.com/leave?u=42>'
            'List-Unsubscribe-Post' = 'List-Unsubscribe=One-Click'
            'List-Id'               = 'Ops alerts <alerts.ops.example.com>'
        }
        (Send-CompositeMail -Backend $Smtp @Mail -Headers $headers).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Raw | Should -Match "`r`nDate: 1 Dec 2026 10:00 \+0100`r`n"
        $received.Raw | Should -Match "`r`nIn-Reply-To: <inc-41@tickets\.example\.com>`r`n"
        $received.Raw | Should -Match "`r`nReferences: <inc-40@tickets\.example\.com> <inc-41@tickets\.example\.com>`r`n"
        ([regex]::Matches($received.Raw, '(?m)^Date:')).Count | Should -Be 1
        $received.Message.Date | Should -Be ([DateTimeOffset]::new(2026, 12, 1, 10, 0, 0, [TimeSpan]::FromHours(1)))
        $received.Message.References | Should -Be 'inc-40@tickets.example.com', 'inc-41@tickets.example.com'
        $received.Message.Headers['List-Unsubscribe'] | Should -Be $headers['List-Unsubscribe']
        $received.Message.Headers['List-Id'] | Should -Be $headers['List-Id']
    }
}

Describe 'Half a character (an unpaired UTF-16 surrogate)' {
    It 'in -<Parameter> is one InvalidArgument error with the value as target, and the next row is sent' -ForEach @(
        @{ Parameter = 'Subject' }, @{ Parameter = 'Body' }, @{ Parameter = 'HtmlBody' }
    ) {
        $half = 'Report 😀 done'.Substring(0, 8)
        $failure = Send-BadRowThenGoodRow @{ $Parameter = $half }
        $failure.TargetObject | Should -Be $half
        $failure.Exception.Message | Should -Match "-$Parameter.*unpaired UTF-16 surrogate"
    }

    It 'in a -Headers value is refused instead of being sent as U+FFFD' {
        $failure = Send-BadRowThenGoodRow @{ Headers = @{ References = "<a$([char]0xD83D)@example.com>" } }
        $failure.Exception.Message | Should -Match 'unpaired UTF-16 surrogate'
    }
}

Describe 'Invisible characters and domains IDNA cannot convert' {
    It 'refuses <Name> before any backend, even to a server that offers SMTPUTF8' -ForEach @(
        @{ Name = 'U+202E in a domain'; Address = "jane@exa$([char]0x202E)mple.com" }
        @{ Name = 'U+200B in a domain'; Address = "jane@exa$([char]0x200B)mple.com" }
        @{ Name = 'U+00AD in a domain'; Address = "jane@exa$([char]0x00AD)mple.com" }
        @{ Name = 'U+202E in a local part'; Address = "ja$([char]0x202E)ne@example.com" }
        @{ Name = 'U+034F (combining grapheme joiner) in a local part'; Address = "ja$([char]0x034F)ne@example.com" }
        @{ Name = 'U+FE0F (a variation selector) in a local part'; Address = "jane$([char]0xFE0F)@example.com" }
        @{ Name = 'U+115F (a Hangul filler) in a local part'; Address = "ja$([char]0x115F)ne@example.com" }
        @{ Name = 'U+034F in a domain (IDNA would drop it silently)'; Address = "jane@ex$([char]0x034F)ample.com" }
        @{ Name = 'a label whose punycode is over 63'; Address = 'jane@' + ([string][char]0xE4 * 60) + '.example.com' }
    ) {
        $before = Get-ReceivedCount $RawUtf8
        $null = Send-CompositeMail -Backend $SmtpUtf8 @Mail -To $Address -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Be $Address
        Get-ReceivedCount $RawUtf8 | Should -Be $before
    }

    It 'still sends an IDN domain as punycode' {
        (Send-CompositeMail -Backend $Smtp @Mail -To "jane@ex$([char]0xE4)mple.com").Succeeded | Should -BeTrue
        (Get-LastReceived).RcptTo | Should -Be 'jane@xn--exmple-cua.com'
    }
}

Describe 'Addresses within limits' {
    It 'refuses <Name>' -ForEach @(
        @{ Name = 'a local part of 65 characters'; Address = ('a' * 65) + '@example.com' }
        @{ Name = 'a domain label of 64 characters'; Address = 'jane@' + ('d' * 64) + '.example.com' }
        @{ Name = 'an address over 254 characters'; Address = 'jane@' + ((1..5 | ForEach-Object { 'd' * 49 }) -join '.') + '.com' }
        @{ Name = 'a TAB in a quoted local part'; Address = "`"ja`tne`"@example.com" }
        @{ Name = 'an ESC in a quoted local part'; Address = "`"ja`ene`"@example.com" }
    ) {
        $before = Get-ReceivedCount
        $null = Send-CompositeMail -Backend $Smtp @Mail -To $Address -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Be $Address
        Get-ReceivedCount | Should -Be $before
    }

    It 'refuses an .eml file given as input whose <Name>, and sends the next one' -ForEach @(
        @{ Name = 'To has a local part of 65 characters'; From = 'ops@example.com'; To = ('l' * 65) + '@example.com' }
        @{ Name = 'From has 70-character labels and is over 254 characters'; From = 'ops@' + ((1..4 | ForEach-Object { 'd' * 70 }) -join '.') + '.com'; To = 'jane@example.com' }
    ) {
        $bad = Join-Path $TestDrive 'limits.eml'
        $good = Join-Path $TestDrive 'fine.eml'
        [IO.File]::WriteAllText($bad, "From: $From`r`nTo: $To`r`nSubject: t`r`n`r`nbody`r`n")
        [IO.File]::WriteAllText($good, "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: after the bad one`r`n`r`nbody`r`n")
        $before = Get-ReceivedCount
        $results = $bad, $good | Send-CompositeMail -Backend $Smtp -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match 'too long for mail'
        @($results).Count | Should -Be 1
        Get-ReceivedCount | Should -Be ($before + 1)
        (Get-LastReceived).Message.Subject | Should -Be 'after the bad one'
    }

    It 'sends an address at the limits, with nothing but printable ASCII in RCPT TO' {
        $address = ('a' * 64) + '@' + ('d' * 63) + '.example.com'
        (Send-CompositeMail -Backend $Smtp @Mail -To $address).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        $received.RcptTo | Should -Be $address
        $received.RcptCommands | ForEach-Object { $_ | Should -Match '^RCPT TO:<[\x21-\x7E]+>[\x20-\x7E]*$' }
    }
}

Describe 'The Console backend cannot drive the terminal' {
    # Header text (the subject, names, file names) cannot hold control characters any more (see 'One rule for the text
    # of every header'); a body still can, and a backend's name is the caller's own text: those are the vectors here.
    # The summary format, which shows only header text, is checked by the xunit test ConsoleBackendTests.
    It 'shows control characters escaped, in every part of the message' {
        $console = New-MailBackend -Console
        $null = Send-CompositeMail -Backend $console -From "Ops <ops@example.com>" -To jane@example.com -Subject 'alert' `
            -Body "line one`e]0;title`a`nline two`e[31m red" -Headers @{ 'X-Note' = "grüße" } -InformationVariable shown
        $text = ($shown | ForEach-Object { "$($_.MessageData)" }) -join "`n"
        $text | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        $text | Should -Match ([regex]::Escape('line one\x1B]0;title\x07'))
        $text | Should -Match ([regex]::Escape('line two\x1B[31m red'))
    }

    It 'escapes them in the error of a message that was not delivered' {
        $broken = New-MailBackend -ScriptBlock { throw 'down' } -Name "bro`e[2Jken"
        $null = Send-CompositeMail -Backend $broken @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
        "$($failures[0])" | Should -Match ([regex]::Escape('bro\x1B[2Jken'))
        "$($failures[0])" | Should -Not -Match "`e" -Because 'a raw ESC would reach the terminal'
    }
}

Describe 'The protocol log is private' {
    It 'is readable by its owner only, names the connection on each line, and leaves message content out' {
        $log = Join-Path $TestDrive 'private.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -ProtocolLog $log
        $results = 1..6 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "secret subject $_"; Body = "personal body $_" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -ThrottleLimit 2
        @($results | Where-Object Succeeded).Count | Should -Be 6
        if (-not $IsWindows) { (Get-Item $log).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
        $lines = Get-Content $log
        $lines | ForEach-Object { $_ | Should -Match '^\S+ \[connection \d+\] ' }
        @($lines | ForEach-Object { if ($_ -match '\[connection (\d+)\]') { $Matches[1] } } | Sort-Object -Unique).Count | Should -Be 2
        $text = $lines -join "`n"
        $text | Should -Match 'C: MAIL FROM:<ops@example\.com>'
        $text | Should -Not -Match 'personal body'
        $text | Should -Not -Match 'secret subject'
        @($lines -match 'message content not logged').Count | Should -Be 6
    }

    It 'keeps message content when -ProtocolLogContent asks for it' {
        $log = Join-Path $TestDrive 'content.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -ProtocolLog $log -ProtocolLogContent
        (Send-CompositeMail -Backend $smtp @Mail -Body 'personal body kept').Succeeded | Should -BeTrue
        Get-Content $log -Raw | Should -Match 'personal body kept'
    }

    It 'tightens an existing log file to owner-only' -Skip:$IsWindows {
        $log = Join-Path $TestDrive 'existing.log'
        Set-Content $log 'older run'
        [IO.File]::SetUnixFileMode($log, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -ProtocolLog $log
        (Send-CompositeMail -Backend $smtp @Mail).Succeeded | Should -BeTrue
        (Get-Item $log).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
    }
}

Describe '-Encoding that cannot hold the text' {
    It 'refuses -Encoding <Encoding> for <Text>, instead of sending ?' -ForEach @(
        @{ Encoding = 'ascii'; Text = 'café' }
        @{ Encoding = 'latin1'; Text = 'price: 5 €' }
    ) {
        $before = Get-ReceivedCount
        $null = Send-CompositeMail -Backend $Smtp @Mail -Body $Text -Encoding $Encoding -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match '-Encoding'
        Get-ReceivedCount | Should -Be $before
    }

    It 'sends text the encoding can hold' {
        (Send-CompositeMail -Backend $Smtp @Mail -Body 'café' -Encoding latin1).Succeeded | Should -BeTrue
        (Get-LastReceived).Message.TextBody.TrimEnd() | Should -Be 'café'
    }

    It 'sends every character, beyond the first 65,536 too, with -Encoding <Encoding> (no strict copy of it is made)' -ForEach @(
        @{ Encoding = 'utf8BOM' }, @{ Encoding = 'unicode' }, @{ Encoding = 'bigendianunicode' }, @{ Encoding = 'utf32' }
    ) {
        $text = "Grüße 😀 from $Encoding"
        (Send-CompositeMail -Backend $Smtp @Mail -Subject $text -Body $text -Encoding $Encoding).Succeeded | Should -BeTrue
        $received = (Get-LastReceived).Message
        $received.Subject | Should -Be $text
        $received.TextBody.TrimEnd() | Should -Be $text
    }

    It 'refuses -Encoding <Encoding> for the subject <Text>, as Send-MailMessage applies it to the subject too' -ForEach @(
        @{ Encoding = 'ascii'; Text = 'café' }
        @{ Encoding = 'latin1'; Text = 'price: 5 €' }
    ) {
        $failure = Send-BadRowThenGoodRow @{ Subject = $Text } -Parameters @{ Encoding = $Encoding }
        $failure.Exception.Message | Should -Match '-Encoding .* of -Subject'
    }

    It 'writes the subject in the charset of <Name> (<Charset>), which Python reads back' -ForEach @(
        @{ Name = '-Encoding latin1'; Encoding = 'latin1'; Charset = 'iso-8859-1' }
        @{ Name = 'no -Encoding'; Encoding = $null; Charset = 'utf-8' }
    ) {
        $encoding = if ($Encoding) { @{ Encoding = $Encoding } } else { @{} }
        (Send-CompositeMail -Backend $Smtp @Mail -Subject 'café crème' @encoding).Succeeded | Should -BeTrue
        $received = Get-LastReceived
        Get-WireProblem $received.Bytes | Should -BeNullOrEmpty
        $received.Raw | Should -Match "`r`nSubject: =\?$Charset\?[QB]\?"
        $file = Join-Path $TestDrive 'subject.eml'
        [IO.File]::WriteAllBytes($file, $received.Bytes)
        $env:PYTHONIOENCODING = 'utf-8'
        $decoded = & /usr/bin/python3 -c 'import email, email.policy, sys; print(email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)["subject"])' $file
        $decoded | Should -Be 'café crème'
    }
}

Describe 'A ScriptBlock backend that writes an error' {
    It 'has failed, as if it threw, and its error reaches the caller only as the failed delivery' {
        # As in a plain script: Write-Error does not stop by itself.
        $ErrorActionPreference = 'Continue'
        $archive = New-MailBackend -ScriptBlock { param($message) 'filed'; Write-Error 'the archive share is full' } -Name archive
        $written = Send-CompositeMail -Backend $archive @Mail -ErrorVariable failures -ErrorAction Continue *>&1
        $result = $written | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Status | Should -Be 'Failed'
        $result.Results[0].Error | Should -Match 'the archive share is full'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Match '^MessageNotDelivered'
        $failures[0].Exception.Message | Should -Match "archive.*the archive share is full"
        @($written | Where-Object { $_ -isnot [PSCompositeMail.Results.SendResult] -and $_ -isnot [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        @($written | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 1
    }

    It 'reports its output in the result and keeps its other streams out of the caller''s unless asked' {
        $hook = New-MailBackend -ScriptBlock { param($message) "filed as $($message.Subject)"; Write-Host 'host chatter'; Write-Warning 'the share is slow' } -Name hook
        $written = Send-CompositeMail -Backend $hook @Mail *>&1
        $result = $written | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $result.Succeeded | Should -BeTrue
        $result.Results[0].Detail | Should -Be 'output: filed as Disk report'
        $others = @($written | Where-Object { $_ -isnot [PSCompositeMail.Results.SendResult] })
        $others.Count | Should -Be 1
        $others[0] | Should -BeOfType [System.Management.Automation.WarningRecord]
        $others[0].Message | Should -Be 'hook: the share is slow'

        $verbose = Send-CompositeMail -Backend $hook @Mail -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Contain 'hook: host chatter'
    }
}
