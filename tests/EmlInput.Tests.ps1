# Issue 11, .eml files given as input: raw UTF-8 in a header that has an ASCII form (a subject, a display name, a file
# name) is encoded again, so the file reaches a relay without SMTPUTF8; what has no ASCII form (a non-ASCII local
# part) still needs SMTPUTF8; a DKIM-signed file goes byte for byte.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Raw = Start-TestSmtpServer -Mode raw
    $script:Smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Raw.Port -Security None -RetryCount 0

    function New-EmlFile {
        param([string] $Name, [string] $Headers)
        $path = Join-Path $TestDrive $Name
        $text = ($Headers.Trim() -replace "`r?`n", "`r`n") + "`r`nMIME-Version: 1.0`r`nContent-Type: text/plain; charset=utf-8`r`n`r`nbody`r`n"
        [IO.File]::WriteAllBytes($path, [Text.UTF8Encoding]::new($false).GetBytes($text))
        $path
    }
}
AfterAll { $script:Raw | Stop-TestSmtpServer }

Describe '.eml input with raw UTF-8 headers' {
    It 'sends a raw UTF-8 subject and display name to a relay without SMTPUTF8, encoded, in 7-bit headers' {
        $file = New-EmlFile 'utf8-subject.eml' @"
From: Jürgen Müller <ops@example.com>
To: Zoë <jane@example.com>
Subject: Grüße aus Köln
"@
        $result = Send-CompositeMail -Backend $Smtp -Path $file -ErrorAction Stop

        $result.Succeeded | Should -BeTrue
        $received = @(Get-TestSmtpMessage $Raw)[-1]
        $headers = $received.Raw.Substring(0, $received.Raw.IndexOf("`r`n`r`n"))
        $headers.ToCharArray().Where({ [int]$_ -ge 128 }).Count | Should -Be 0
        $received.Message.Subject | Should -Be 'Grüße aus Köln'
        $received.Message.From.Mailboxes[0].Name | Should -Be 'Jürgen Müller'
        $received.Message.To.Mailboxes[0].Name | Should -Be 'Zoë'
    }

    It 'sends an attachment whose file name is raw UTF-8 to a relay without SMTPUTF8' {
        $path = Join-Path $TestDrive 'utf8-filename.eml'
        $text = "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: invoice`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: multipart/mixed; boundary=`"b1`"`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nsee attached`r`n" +
            "--b1`r`nContent-Type: application/pdf; name=`"Rechnung-März.pdf`"`r`nContent-Disposition: attachment; filename=`"Rechnung-März.pdf`"`r`n" +
            "Content-Transfer-Encoding: base64`r`n`r`nJVBERi0=`r`n--b1--`r`n"
        [IO.File]::WriteAllBytes($path, [Text.UTF8Encoding]::new($false).GetBytes($text))

        (Send-CompositeMail -Backend $Smtp -Path $path -ErrorAction Stop).Succeeded | Should -BeTrue
        $received = @(Get-TestSmtpMessage $Raw)[-1]
        $received.Bytes.Where({ $_ -ge 128 }).Count | Should -Be 0
        @($received.Message.Attachments)[0].FileName | Should -Be 'Rechnung-März.pdf'
    }

    It 'still needs SMTPUTF8 for a non-ASCII local part, which has no ASCII form' {
        $file = New-EmlFile 'utf8-local.eml' @"
From: ops@example.com
To: josé@example.com
Subject: local part
"@
        $result = Send-CompositeMail -Backend $Smtp -Path $file -ErrorAction SilentlyContinue -ErrorVariable failures
        $result.Succeeded | Should -BeFalse
        "$($failures[0])" | Should -Match 'SMTPUTF8'
    }
}

# Issue 20, item 7: an .eml file goes out as it is, and a DKIM backend signs it as the sender's own; ambiguous fields
# (two of a field RFC 5322 allows once, a field name with white space before its colon) let receivers read another
# message than the one this module checked, and trace or verdict fields go out as forgeries. The rules -Headers
# follows and RFC 5322's counts apply: a file that breaks them is an error for that file before any backend.
Describe '.eml input with ambiguous or forged header fields' {
    BeforeAll {
        $script:Good = New-EmlFile 'good.eml' "From: reports@contoso.com`nTo: jane@example.com`nSubject: after the bad one"

        function Send-BadFileThenGoodFile {
            param([string] $Path)
            $before = @(Get-TestSmtpMessage $Raw).Count
            $results = Get-Item -LiteralPath $Path, $Good | Send-CompositeMail -Backend $Smtp -ErrorVariable failures -ErrorAction SilentlyContinue
            $failures.Count | Should -Be 1
            $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $failures[0].TargetObject | Should -Be $Path
            @($results).Count | Should -Be 1
            $received = @(Get-TestSmtpMessage $Raw)
            $received.Count | Should -Be ($before + 1) -Because 'nothing of the bad file may reach the server'
            $received[-1].Message.Subject | Should -Be 'after the bad one'
            $failures[0]
        }
    }

    It 'refuses <Name>, before any backend, and sends the next file' -ForEach @(
        foreach ($field in 'From', 'Subject', 'Date', 'Message-ID', 'To', 'Reply-To', 'Sender') {
            $values = switch ($field) {
                'From' { 'reports@contoso.com', 'ceo@evil.example' }
                'Subject' { 'one', 'two' }
                'Date' { 'Mon, 07 Dec 2026 10:00:00 +0000', 'Tue, 08 Dec 2026 10:00:00 +0000' }
                'Message-ID' { '<a@contoso.com>', '<b@evil.example>' }
                default { 'jane@example.com', 'bob@evil.example' }
            }
            $base = "From: reports@contoso.com`nTo: jane@example.com`nSubject: s"
            $base = ($base -split "`n" | Where-Object { $_ -notmatch "^$([regex]::Escape($field)):" }) -join "`n"
            @{ Name = "two $field fields"; Headers = "$base`n$($field): $($values[0])`n$($field): $($values[1])"; Expected = "2 $field fields" }
        }
        @{ Name = 'two Content-Type fields'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nSubject: s`nContent-Type: text/html"; Expected = '2 Content-Type fields' }
        @{ Name = 'two Content-Transfer-Encoding fields'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nSubject: s`nContent-Transfer-Encoding: 7bit`nContent-Transfer-Encoding: base64"; Expected = '2 Content-Transfer-Encoding fields' }
        @{ Name = 'a From with two mailboxes and no Sender'; Headers = "From: reports@contoso.com, ceo@evil.example`nTo: jane@example.com`nSubject: s"; Expected = 'no Sender' }
        @{ Name = 'a Sender with two mailboxes'; Headers = "From: reports@contoso.com`nSender: reports@contoso.com, ceo@evil.example`nTo: jane@example.com`nSubject: s"; Expected = 'Sender field that is not exactly one mailbox' }
        @{ Name = 'a Sender that is a group'; Headers = "From: reports@contoso.com`nSender: staff: reports@contoso.com;`nTo: jane@example.com`nSubject: s"; Expected = 'Sender field that is not exactly one mailbox' }
        @{ Name = 'a Sender and no From'; Headers = "Sender: ceo@evil.example`nTo: jane@example.com`nSubject: s"; Expected = 'no From header' }
        @{ Name = 'a From without a domain and no Message-ID to keep'; Headers = "From: root`nTo: jane@example.com`nSubject: s"; Expected = "has no Message-ID, and its From address 'root' has no domain" }
        @{ Name = 'a Sender without a domain and no Message-ID to keep'; Headers = "From: reports@contoso.com`nSender: root`nTo: jane@example.com`nSubject: s"; Expected = "has no Message-ID, and its Sender address 'root' has no domain" }
        @{ Name = 'a forged Received field'; Headers = "Received: from mx.contoso.com by mx.contoso.com; Mon, 07 Dec 2026 10:00:00 +0000`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'Received' }
        @{ Name = 'a forged Authentication-Results field'; Headers = "Authentication-Results: contoso.com; dkim=pass`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'Authentication-Results' }
        @{ Name = 'a forged Authentication-Results field in odd case'; Headers = "AuThEnTiCaTiOn-ReSuLtS: contoso.com; dkim=pass`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'a field Authentication-Results:' }
        @{ Name = 'a forged X-MS-Exchange-Organization-SCL field'; Headers = "X-MS-Exchange-Organization-SCL: -1`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'X-MS-Exchange-Organization-SCL' }
        @{ Name = 'a forged X-Spam-Flag field'; Headers = "X-Spam-Flag: NO`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'X-Spam-Flag' }
        @{ Name = 'a DomainKey-Signature field'; Headers = "DomainKey-Signature: a=rsa-sha1; d=gmail.com; b=abc`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'DomainKey-Signature' }
        @{ Name = 'a forged Return-Path field'; Headers = "Return-Path: <ceo@evil.example>`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'Return-Path' }
        @{ Name = 'a field name with white space before the colon'; Headers = "From : ceo@evil.example`nFrom: reports@contoso.com`nTo: jane@example.com`nSubject: s"; Expected = 'white space before the colon' }
        @{ Name = 'a lone field name with white space before the colon'; Headers = "From: reports@contoso.com`nTo : jane@example.com`nSubject: s"; Expected = 'white space before the colon' }
        @{ Name = 'a header line without a colon'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nthis line has no colon`nSubject: s"; Expected = "header line that is no field, 'this line has no colon" }
        @{ Name = 'a field name with non-ASCII letters'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nSubjéct: s`nSubject: s"; Expected = "field name with other characters than printable ASCII, 'Subjéct'" }
        @{ Name = 'an encoded control character in the subject'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nSubject: =?utf-8?q?clear=1B[2J?="; Expected = 'control character' }
        @{ Name = 'an invalid Date'; Headers = "From: reports@contoso.com`nTo: jane@example.com`nSubject: s`nDate: Mon, 07 Dec 2026 25:61:61 +0000"; Expected = 'Date' }
    ) {
        $file = New-EmlFile "bad-$([guid]::NewGuid().ToString('N')).eml" $Headers
        $failure = Send-BadFileThenGoodFile $file
        "$failure" | Should -Match ([regex]::Escape($Expected))
    }

    It 'refuses an attachment whose <Where> holds <Name>, and sends the next file' -ForEach @(
        @{ Where = 'filename*'; Name = 'RLO'; Header = "Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe" }
        @{ Where = 'name'; Name = 'a zero-width space'; Header = "Content-Type: application/pdf; name*=utf-8''in%E2%80%8Bvoice.pdf`r`nContent-Disposition: attachment; filename=`"invoice.pdf`"" }
        @{ Where = 'Content-Description'; Name = 'an encoded ESC'; Header = "Content-Disposition: attachment; filename=`"invoice.pdf`"`r`nContent-Description: =?utf-8?q?x=1B[2J?=" }
    ) {
        $path = Join-Path $TestDrive "bad-part-$([guid]::NewGuid().ToString('N')).eml"
        $type = if ($Header -match 'Content-Type:') { '' } else { "Content-Type: application/pdf`r`n" }
        $text = "From: reports@contoso.com`r`nTo: jane@example.com`r`nSubject: invoice`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: multipart/mixed; boundary=`"b1`"`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nsee attached`r`n" +
            "--b1`r`n$type$Header`r`nContent-Transfer-Encoding: base64`r`n`r`nJVBERi0=`r`n--b1--`r`n"
        [IO.File]::WriteAllText($path, $text)
        $failure = Send-BadFileThenGoodFile $path
        "$failure" | Should -Match 'formatting character|control character'
    }

    It 'refuses a part whose <Name>, and sends the next file' -ForEach @(
        @{ Name = 'boundary is given twice'; Type = 'multipart/mixed; boundary=b1; boundary=b2'; Part = 'Content-Disposition: attachment; filename="invoice.pdf"'; Expected = 'parameter boundary twice in a Content-Type field' }
        @{ Name = 'charset is given twice'; Type = 'multipart/mixed; boundary="b1"'; Part = "Content-Type: text/plain; charset=us-ascii; charset=utf-7"; Expected = 'parameter charset twice in a Content-Type field' }
        @{ Name = 'filename is given twice'; Type = 'multipart/mixed; boundary="b1"'; Part = 'Content-Disposition: attachment; filename="invoice.pdf"; filename="invoice.exe"'; Expected = 'parameter filename twice in a Content-Disposition field' }
        @{ Name = 'filename and filename* disagree'; Type = 'multipart/mixed; boundary="b1"'; Part = "Content-Disposition: attachment; filename=`"invoice.pdf`"; filename*=utf-8''invoice.exe"; Expected = 'plain and as filename* (RFC 2231), with different values' }
        @{ Name = 'name and filename disagree'; Type = 'multipart/mixed; boundary="b1"'; Part = "Content-Type: application/pdf; name=`"invoice.pdf`"`r`nContent-Disposition: attachment; filename=`"invoice.exe`""; Expected = "names an attachment 'invoice.pdf' in its Content-Type and 'invoice.exe'" }
    ) {
        $path = Join-Path $TestDrive "bad-param-$([guid]::NewGuid().ToString('N')).eml"
        $partType = if ($Part -match 'Content-Type:') { '' } else { "Content-Type: application/pdf`r`n" }
        $text = "From: reports@contoso.com`r`nTo: jane@example.com`r`nSubject: invoice`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: $Type`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nsee attached`r`n" +
            "--b1`r`n$partType$Part`r`nContent-Transfer-Encoding: base64`r`n`r`nJVBERi0=`r`n--b1--`r`n--b2--`r`n"
        [IO.File]::WriteAllText($path, $text)
        $failure = Send-BadFileThenGoodFile $path
        "$failure" | Should -Match ([regex]::Escape($Expected))
    }

    It 'sends a part that gives its file name plain and as filename* (RFC 2231) alike, and as name and filename alike' {
        $path = Join-Path $TestDrive 'same-names.eml'
        $text = "From: reports@contoso.com`r`nTo: jane@example.com`r`nSubject: same names`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: multipart/mixed; boundary=`"b1`"`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nsee attached`r`n" +
            "--b1`r`nContent-Type: application/pdf; name=`"r`u{e9}sum`u{e9}.pdf`"`r`nContent-Disposition: attachment; filename=`"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=`"; filename*=utf-8''r%C3%A9sum%C3%A9.pdf`r`n" +
            "Content-Transfer-Encoding: base64`r`n`r`nJVBERi0=`r`n--b1--`r`n"
        [IO.File]::WriteAllText($path, $text)

        $result = Send-CompositeMail -Backend $Smtp -Path $path -ErrorAction Stop
        $result.Succeeded | Should -BeTrue
    }

    It 'sends what a legitimate file holds: one of each field, a DKIM signature, several authors with their Sender, a received message attached' {
        $path = Join-Path $TestDrive 'legitimate.eml'
        $text = "DKIM-Signature: v=1; a=rsa-sha256; d=contoso.com; s=s1; h=from:to:subject; bh=abc=; b=def=`r`n" +
            "From: Reports <reports@contoso.com>, Ops <ops@contoso.com>`r`nSender: robot@contoso.com`r`nTo: jane@example.com`r`n" +
            "Subject: forwarded`r`nDate: Mon, 07 Dec 2026 10:00:00 +0000`r`nMessage-ID: <fwd-1@contoso.com>`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: multipart/mixed; boundary=`"b1`"`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nsee attached`r`n" +
            "--b1`r`nContent-Type: message/rfc822`r`n`r`nReceived: from mx.example.net by mx.contoso.com; Mon, 07 Dec 2026 09:00:00 +0000`r`n" +
            "Return-Path: <someone@example.net>`r`nAuthentication-Results: contoso.com; dkim=pass`r`nFrom: someone@example.net`r`n" +
            "To: reports@contoso.com`r`nSubject: original`r`n`r`nthe original`r`n--b1--`r`n"
        [IO.File]::WriteAllText($path, $text)

        $result = Send-CompositeMail -Backend $Smtp -Path $path -ErrorAction Stop
        $result.Succeeded | Should -BeTrue
        $received = @(Get-TestSmtpMessage $Raw)[-1]
        $received.MailFrom | Should -Be 'robot@contoso.com'
        $received.Raw | Should -Match 'Received: from mx\.example\.net'
    }
}
