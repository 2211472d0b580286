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
