# The README's promise: a Send-MailMessage script switches by renaming the command. Each call below is a real-world
# Send-MailMessage call; it runs as written and renamed, against the same aiosmtpd servers, and what arrives
# (envelope and decoded content) and what a function wrapping it returns must be the same.
BeforeDiscovery {
    # SEND is replaced by the command; $PlainPort, $TlsPort, $Files and $credential are set by the runner.
    $script:Cases = @(
        @{ Name = 'positional To, Subject, Body, SmtpServer'; Call = "SEND 'alice@contoso.com' 'Positional' 'Body by position' '127.0.0.1' -From 'ops@contoso.com' -Port `$PlainPort" }
        @{ Name = 'files piped in are the attachments of one message'; Call = "Get-ChildItem `$Files/*.log | SEND -To 'alice@contoso.com' -Subject 'logs' -Body 'Attached.' -From 'ops@contoso.com' -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'paths piped in as text are the attachments of one message'; Call = "`"`$Files/a.log`", `"`$Files/report.csv`" | SEND -To 'alice@contoso.com' -Subject 'text paths' -Body 'Attached.' -From 'ops@contoso.com' -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'attachments by parameter'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Report' -Body 'See attached.' -Attachments `"`$Files/a.log`", `"`$Files/report.csv`" -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'Cc and Bcc arrays'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com', 'bob@contoso.com' -Cc 'carol@contoso.com' -Bcc 'audit@contoso.com', 'dave@contoso.com' -Subject 'Team' -Body 'Hi all' -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'HTML body'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Html' -Body '<h1>Status</h1><p>All <b>green</b></p>' -BodyAsHtml -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'priority high'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Urgent' -Body 'Disk full' -Priority High -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'credential with -UseSsl (STARTTLS, AUTH)'; Tls = $true; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Secure' -Body 'Over TLS' -SmtpServer localhost -Port `$TlsPort -UseSsl -Credential `$credential" }
        @{ Name = 'named -Port and -ReplyTo'; Call = "SEND -From 'Ops Team <ops@contoso.com>' -ReplyTo 'helpdesk@contoso.com' -To 'Alice <alice@contoso.com>' -Subject 'Ticket' -Body 'Reply to the desk' -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'encoding utf8 with accents'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Café résumé' -Body 'Grüße aus Köln — ✓' -Encoding utf8 -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'encoding ansi'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Ansi' -Body 'Déjà vu, naïve café' -Encoding ansi -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'encoding oem'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Oem' -Body 'Plain text' -Encoding oem -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = 'delivery notification (server without DSN)'; Call = "SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Dsn' -Body 'Tell me' -DeliveryNotificationOption OnFailure, Delay -SmtpServer 127.0.0.1 -Port `$PlainPort" }
        @{ Name = '$PSEmailServer instead of -SmtpServer'; Call = "`$PSEmailServer = '127.0.0.1'; SEND -From 'ops@contoso.com' -To 'alice@contoso.com' -Subject 'Default server' -Body 'From PSEmailServer' -Port `$PlainPort" }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $certificateFolder = Join-Path $TestDrive 'cert'
    $null = New-TestCertificate -Folder $certificateFolder
    $password = 'Migr4tion-Pa55!'
    $script:Plain = Start-TestSmtpServer -Mode plain
    $script:Tls = Start-TestSmtpServer -Mode starttls -CertificateFolder $certificateFolder -User mailer -Password $password
    $files = Join-Path $TestDrive 'files'
    $null = New-Item -ItemType Directory -Path $files
    Set-Content -Path (Join-Path $files 'a.log') -Value 'first log line'
    Set-Content -Path (Join-Path $files 'b.log') -Value 'second log line'
    Set-Content -Path (Join-Path $files 'report.csv') -Value "Name,Size`nC:,10"

    $casesFile = Join-Path $TestDrive 'cases.json'
    $Cases | ConvertTo-Json | Set-Content -Path $casesFile
    $resultFile = Join-Path $TestDrive 'runs.json'
    $env:SSL_CERT_FILE = Join-Path $certificateFolder 'cert.pem'
    try {
        $run = Invoke-TestPwsh -File (Join-Path $PSScriptRoot 'migration/Invoke-MigrationCases.ps1') -Arguments @(
            '-ModulePath', (Resolve-Path $ModulePath), '-CasesFile', $casesFile, '-ResultFile', $resultFile,
            '-PlainFolder', $Plain.Folder, '-PlainPort', $Plain.Port, '-TlsFolder', $Tls.Folder, '-TlsPort', $Tls.Port,
            '-Files', $files, '-Password', $password)
    }
    finally { Remove-Item Env:SSL_CERT_FILE }
    if (-not (Test-Path $resultFile)) { throw "The migration runner failed: $($run.Output)" }
    $script:Runs = Get-Content $resultFile -Raw | ConvertFrom-Json
    $script:Received = @{ $Plain.Folder = @(Get-TestSmtpMessage $Plain); $Tls.Folder = @(Get-TestSmtpMessage $Tls) }

    function ConvertTo-ComparableMail {
        <# What must be equal: envelope and decoded content. Message-Id, Date, boundaries, header order and transfer encodings legitimately differ. #>
        param($Received)
        $message = $Received.Message
        [ordered]@{
            MailFrom    = $Received.MailFrom
            RcptTo      = ($Received.RcptTo | Sort-Object) -join ', '
            From        = "$($message.From)"
            To          = "$($message.To)"
            Cc          = "$($message.Cc)"
            ReplyTo     = "$($message.ReplyTo)"
            Bcc         = "$($message.Bcc)"
            Subject     = $message.Subject
            Priority    = '{0}/{1}/{2}' -f $message.Priority, $message.Importance, $message.XPriority
            Parts       = @($message.BodyParts | ForEach-Object {
                    $content = [IO.MemoryStream]::new()
                    $_.Content.DecodeTo($content)
                    $bytes = $content.ToArray()
                    $text = if ($_.ContentType.MimeType -like 'text/*' -and -not $_.IsAttachment) { $_.Text.TrimEnd("`r", "`n") } else { [Convert]::ToBase64String($bytes) }
                    # An attachment's type is guessed from its name here (text/plain for .log) where Send-MailMessage always
                    # says application/octet-stream: its name and bytes must be the same.
                    if ($_.IsAttachment) { 'attachment {0}: {1}' -f $_.FileName, $text } else { '{0} body: {1}' -f $_.ContentType.MimeType, $text }
                }) -join "`n"
        }
    }
}

AfterAll {
    $script:Plain, $script:Tls | Stop-TestSmtpServer
}

Describe 'Migrating a Send-MailMessage call by renaming the command' {
    It '<Name>: the same envelope and decoded content arrive, and the wrapping function returns the same' -ForEach $Cases {
        $original = $Runs | Where-Object { $_.Case -eq $Name -and $_.Command -eq 'Send-MailMessage' }
        $renamed = $Runs | Where-Object { $_.Case -eq $Name -and $_.Command -eq 'Send-CompositeMail' }
        $original.Failure | Should -BeNullOrEmpty
        $renamed.Failure | Should -BeNullOrEmpty

        $renamed.Returned | Should -Be $original.Returned
        @($renamed.Returned).Count | Should -Be 1
        @($renamed.Messages).Count | Should -Be @($original.Messages).Count
        @($original.Messages).Count | Should -Be 1

        $expected = ConvertTo-ComparableMail $Received[$original.Folder][$original.Messages[0] - 1]
        $actual = ConvertTo-ComparableMail $Received[$renamed.Folder][$renamed.Messages[0] - 1]
        foreach ($key in $expected.Keys) {
            $actual[$key] | Should -Be $expected[$key] -Because "$key must survive the rename"
        }
    }
}
