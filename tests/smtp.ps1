# Helpers that run a real SMTP server (Debian's aiosmtpd, see servers/smtp_server.py) on 127.0.0.1 for the tests.
$script:Python = '/usr/bin/python3'
$script:ServerScript = Join-Path $PSScriptRoot 'servers/smtp_server.py'
$script:RawServerScript = Join-Path $PSScriptRoot 'servers/raw_smtp_server.py'

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function New-TestCertificate {
    <#
    A certificate for localhost and 127.0.0.1, written as PEM (cert.pem, key.pem) for the server; returns the
    certificate. Self-signed, or issued by -Authority (a CA certificate with its key, see cloud.ps1).
    #>
    param([Parameter(Mandatory)] [string] $Folder, $Authority)
    $null = New-Item -ItemType Directory -Force -Path $Folder
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        'CN=localhost', $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $names = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $names.AddDnsName('localhost')
    $names.AddIpAddress([ipaddress]::Loopback)
    $request.CertificateExtensions.Add($names.Build())
    $certificate = if ($Authority) {
        $serial = [byte[]]::new(8)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
        $request.Create($Authority, [DateTimeOffset]::Now.AddDays(-1), [DateTimeOffset]::Now.AddDays(20), $serial)
    }
    else { $request.CreateSelfSigned([DateTimeOffset]::Now.AddDays(-1), [DateTimeOffset]::Now.AddDays(30)) }
    Set-Content -Path (Join-Path $Folder 'cert.pem') -Value $certificate.ExportCertificatePem()
    Set-Content -Path (Join-Path $Folder 'key.pem') -Value $rsa.ExportPkcs8PrivateKeyPem()
    $certificate
}

function Start-TestSmtpServer {
    <# -Mode raw: servers/raw_smtp_server.py, which records the exact bytes it receives (-SmtpUtf8 and -EightBitMime decide what EHLO offers). #>
    param(
        [ValidateSet('plain', 'starttls', 'implicit', 'hang', 'raw')] [string] $Mode = 'plain',
        [string] $CertificateFolder,
        [string] $User,
        [string] $Password,
        [string] $OAuthUser,
        [string] $OAuthToken,
        # Instead of -OAuthToken: accept tokens the test token server (cloud.ps1) signed for this audience.
        [string] $OAuthIssuerKey,
        [string] $OAuthAudience,
        [int] $OAuthRefuseFirst = 0,
        [string] $PasswordAuthReply,
        [string] $MailReply,
        [string[]] $RejectRecipient = @(),
        [int] $TempFailData = 0,
        # 'prefix:N' or 'prefix:N:code': the first N RCPT TO for those addresses are refused for now (450 unless a code is given).
        [string[]] $TempFailRecipient = @(),
        # Recipients past this many in one transaction are refused with 452 4.5.3 (a recipient limit).
        [int] $RecipientLimit = 0,
        # Command lines of 512 octets at most, as RFC 5321 says (the default takes the long AUTH lines Exchange and Gmail take).
        [switch] $StrictCommandLength,
        [switch] $SmtpUtf8,
        [switch] $EightBitMime,
        # -Mode raw: offer these AUTH mechanisms and refuse each attempt with a 535 quoting what the client sent.
        [string[]] $EchoAuth = @(),
        # -Mode raw: 'VERB:reply' answers that command with the reply; \x1b, \u202e and other Python escapes stand for characters.
        [string[]] $Refuse = @(),
        [int] $Port
    )
    if (-not (Test-Path $script:Python)) { throw "The SMTP tests need Debian's python3 with python3-aiosmtpd (apt-get install python3-aiosmtpd)." }
    $port = if ($Port) { $Port } else { Get-FreeTcpPort }
    $arguments = @()
    if ($CertificateFolder) { $arguments += '--cert', (Join-Path $CertificateFolder 'cert.pem'), '--key', (Join-Path $CertificateFolder 'key.pem') }
    if ($User) { $arguments += '--user', $User, '--password', $Password }
    if ($OAuthUser) { $arguments += '--oauth-user', $OAuthUser }
    if ($OAuthToken) { $arguments += '--oauth-token', $OAuthToken }
    if ($OAuthIssuerKey) { $arguments += '--oauth-issuer-key', $OAuthIssuerKey, '--oauth-audience', $OAuthAudience, '--oauth-refuse-first', $OAuthRefuseFirst }
    # Start-Process joins its arguments with spaces: a reply with spaces goes in quotes.
    if ($PasswordAuthReply) { $arguments += '--password-auth-reply', "`"$PasswordAuthReply`"" }
    if ($MailReply) { $arguments += '--mail-reply', "`"$MailReply`"" }
    foreach ($prefix in $RejectRecipient) { $arguments += '--reject-rcpt', $prefix }
    if ($TempFailData) { $arguments += '--tempfail-data', $TempFailData }
    foreach ($rule in $TempFailRecipient) { $arguments += '--tempfail-rcpt', $rule }
    if ($RecipientLimit) { $arguments += '--rcpt-limit', $RecipientLimit }
    if ($StrictCommandLength) { $arguments += '--strict-command-length' }
    if ($SmtpUtf8) { $arguments += '--smtputf8' }
    if ($EightBitMime) { $arguments += '--8bitmime' }
    if ($EchoAuth) { $arguments += '--echo-auth', ($EchoAuth -join ',') }
    # Start-Process joins its arguments with spaces: a reply with spaces goes in quotes.
    foreach ($rule in $Refuse) { $arguments += '--refuse', "`"$rule`"" }
    # A hung server writes no events: it is ready once it accepts a connection.
    $isReady = if ($Mode -eq 'hang') {
        { param($server) try { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port).Dispose(); $true } catch { $false } }
    }
    $serverScript = if ($Mode -eq 'raw') { $script:RawServerScript } else { $script:ServerScript }
    Start-TestServerProcess -Script $serverScript -Port $port -Mode $Mode -Arguments $arguments -IsReady $isReady
}

function Start-MisbehavingSmtpServer {
    <# A raw-socket SMTP server that misbehaves on purpose (servers/misbehaving_smtp_server.py); stop it with Stop-TestSmtpServer. #>
    param(
        [Parameter(Mandatory)] [ValidateSet('silent', 'slow', 'stall-at-mail', 'close-in-data', 'hang-after-data', 'drip', 'by-subject', 'http', 'tls-alert', 'flood-line', 'flood-lines', 'drip-lines')] [string] $Mode,
        [double] $Delay = 0.5
    )
    Start-TestServerProcess -Script (Join-Path $PSScriptRoot 'servers/misbehaving_smtp_server.py') -Port (Get-FreeTcpPort) -Mode $Mode `
        -Arguments @('--delay', $Delay.ToString([cultureinfo]::InvariantCulture))
}

function Start-TestServerProcess {
    <# Runs a test server script under Debian's python3 with its --port, --out and --mode, and waits until it is ready (by default: its 'ready' event). #>
    param([string] $Script, [int] $Port, [string] $Mode, [string[]] $Arguments = @(), [scriptblock] $IsReady)
    $out = Join-Path ([IO.Path]::GetTempPath()) "pscm-smtp-$Port-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
    $null = New-Item -ItemType Directory -Path $out
    $all = @($Script, '--port', $Port, '--out', $out, '--mode', $Mode) + $Arguments
    $process = Start-Process -FilePath $script:Python -ArgumentList $all -PassThru `
        -RedirectStandardError (Join-Path $out 'stderr.txt') -RedirectStandardOutput (Join-Path $out 'stdout.txt')
    $server = [pscustomobject]@{ Port = $Port; Folder = $out; Process = $process; Mode = $Mode }
    if (-not $IsReady) { $IsReady = { param($server) [bool](Get-TestSmtpEvent $server | Where-Object event -eq 'ready') } }
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($process.HasExited) { throw "The test server $(Split-Path $Script -Leaf) exited: $(Get-Content (Join-Path $out 'stderr.txt') -Raw)" }
        if (& $IsReady $server) { return $server }
        Start-Sleep -Milliseconds 100
    }
    Stop-TestSmtpServer $server
    throw "The test server $(Split-Path $Script -Leaf) did not start on port $Port."
}

function Stop-TestSmtpServer {
    param([Parameter(ValueFromPipeline)] $Server)
    process {
        if ($Server -and -not $Server.Process.HasExited) {
            $Server.Process.Kill()
            $Server.Process.WaitForExit(5000) | Out-Null
        }
        if ($Server) { Remove-Item $Server.Folder -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

function Get-TestSmtpEvent {
    param($Server, [string] $Event)
    $file = Join-Path $Server.Folder 'events.jsonl'
    if (-not (Test-Path $file)) { return }
    Get-Content $file | ForEach-Object { $_ | ConvertFrom-Json } | Where-Object { -not $Event -or $_.event -eq $Event }
}

function Get-TestSmtpConnectionCount {
    param($Server)
    @(Get-TestSmtpEvent $Server -Event connect | Select-Object -ExpandProperty peer -Unique).Count
}

function Get-TestSmtpMessage {
    <# What the server received: the envelope and the parsed message; from a raw server also the exact bytes and command lines. #>
    param($Server)
    Get-TestSmtpEvent $Server -Event message | ForEach-Object {
        [pscustomobject]@{
            MailFrom     = $_.mail_from
            RcptTo       = @($_.rcpt_tos)
            Message      = [MimeKit.MimeMessage]::Load($_.file)
            Raw          = [IO.File]::ReadAllText($_.file)
            Bytes        = [IO.File]::ReadAllBytes($_.file)
            MailCommand  = $_.PSObject.Properties['mail_command']?.Value
            RcptCommands = @($_.PSObject.Properties['rcpt_commands']?.Value)
        }
    }
}
