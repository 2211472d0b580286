# Helpers for the Microsoft 365 and Google tests (dot-source smtp.ps1 first): a test certificate authority, app certificates and keys, and the
# local HTTPS stand-ins for Entra ID, managed identity, Google and Graph (servers/cloud_server.py) on 127.0.0.1.
#
# The servers' TLS certificates are issued by a CA made once per test run by Invoke-PesterSuite.ps1, which points
# SSL_CERT_FILE at it before anything in the process validates a certificate: .NET on Linux reads its trusted roots
# through OpenSSL, which honours that variable. Only the test process trusts that CA; nothing skips validation.
$script:Python = '/usr/bin/python3'
$script:CloudServerScript = Join-Path $PSScriptRoot 'servers/cloud_server.py'
$script:X509 = 'System.Security.Cryptography.X509Certificates'

function New-TestRsaCertificate {
    <# A self-signed RSA certificate with its key (what an app registration or a CA holds), valid from -DaysBack days ago. #>
    param([string] $Subject, [switch] $Authority, [int] $ValidDays = 30, [int] $DaysBack = 1)
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        $Subject, $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    if ($Authority) {
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($request.PublicKey, $false))
    }
    $request.CreateSelfSigned([DateTimeOffset]::Now.AddDays(-$DaysBack), [DateTimeOffset]::Now.AddDays($ValidDays))
}

function New-TestCertificateAuthority {
    <#
    The one kind of test CA, for TLS (the run's CA that SSL_CERT_FILE trusts, an untrusted one) and S/MIME
    (signing.ps1 issues from it): ca.pem and ca-key.pem in $Folder. Returns its Certificate (with key, to issue
    from), Path (ca.pem, for SSL_CERT_FILE and openssl -CAfile) and Folder. Valid from ten days back, so that what
    it issues may start in the past (an expired S/MIME certificate).
    #>
    param([Parameter(Mandatory)] [string] $Folder, [string] $Name = 'PSCompositeMail test CA')
    $null = New-Item -ItemType Directory -Force -Path $Folder
    $ca = New-TestRsaCertificate -Subject "CN=$Name $([guid]::NewGuid().ToString('N').Substring(0, 8))" -Authority -DaysBack 10 -ValidDays 60
    $path = Join-Path $Folder 'ca.pem'
    Set-Content -Path $path -Value $ca.ExportCertificatePem()
    Set-Content -Path (Join-Path $Folder 'ca-key.pem') -Value ([System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($ca).ExportPkcs8PrivateKeyPem())
    [pscustomobject]@{ Certificate = $ca; Path = $path; Folder = $Folder }
}

function Get-TestCertificateAuthority {
    <# The run's CA that SSL_CERT_FILE trusts (made by Invoke-PesterSuite.ps1), as New-TestCertificateAuthority returns it. #>
    if (-not $env:PSCOMPOSITEMAIL_TEST_CA -or -not (Test-Path $env:PSCOMPOSITEMAIL_TEST_CA)) {
        throw 'The cloud tests need the test CA that Invoke-PesterSuite.ps1 makes for each run; run them through it.'
    }
    $folder = Split-Path $env:PSCOMPOSITEMAIL_TEST_CA
    $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($env:PSCOMPOSITEMAIL_TEST_CA, (Join-Path $folder 'ca-key.pem'))
    [pscustomobject]@{ Certificate = $certificate; Path = $env:PSCOMPOSITEMAIL_TEST_CA; Folder = $folder }
}

function Start-TestCloudServer {
    <#
    Starts servers/cloud_server.py with $Config (a hashtable: entra, managed_identity, google, graph sections) on a
    free port; the TLS certificate comes from $Authority (a New-TestCertificateAuthority; default: the run's trusted test CA).
    Returns the server with its Url and Folder.
    #>
    param([hashtable] $Config = @{}, $Authority, [int] $Port)
    if (-not (Test-Path $script:Python)) { throw "The cloud tests need Debian's python3 with python3-jwt and python3-cryptography." }
    if (-not $Authority) { $Authority = Get-TestCertificateAuthority }
    $port = if ($Port) { $Port } else { Get-FreeTcpPort }
    $out = Join-Path ([IO.Path]::GetTempPath()) "pscm-cloud-$port-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
    $null = New-Item -ItemType Directory -Path $out
    $null = New-TestCertificate -Authority $Authority.Certificate -Folder $out
    $issuer = [System.Security.Cryptography.RSA]::Create(2048)
    Set-Content -Path (Join-Path $out 'issuer.pem') -Value $issuer.ExportPkcs8PrivateKeyPem()
    $full = @{ graph = @{} }
    foreach ($key in $Config.Keys) { $full[$key] = $Config[$key] }
    $full += @{ port = $port; out = $out; cert = (Join-Path $out 'cert.pem'); key = (Join-Path $out 'key.pem'); issuer_key = (Join-Path $out 'issuer.pem') }
    $configPath = Join-Path $out 'config.json'
    $full | ConvertTo-Json -Depth 8 | Set-Content -Path $configPath
    $process = Start-Process -FilePath $script:Python -ArgumentList @($script:CloudServerScript, '--config', $configPath) -PassThru `
        -RedirectStandardError (Join-Path $out 'stderr.txt') -RedirectStandardOutput (Join-Path $out 'stdout.txt')
    $server = [pscustomobject]@{ Port = $port; Url = "https://127.0.0.1:$port"; Folder = $out; Process = $process
        IssuerPublicKey = (Join-Path $out 'issuer-public.pem') }
    Set-Content -Path $server.IssuerPublicKey -Value $issuer.ExportSubjectPublicKeyInfoPem()
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($process.HasExited) { throw "The test cloud server exited: $(Get-Content (Join-Path $out 'stderr.txt') -Raw)" }
        if (Get-TestCloudEvent $server -Event ready) { return $server }
        Start-Sleep -Milliseconds 100
    }
    Stop-TestCloudServer $server
    throw "The test cloud server did not start on port $port."
}

# A cloud server is a process with a folder and an events.jsonl, as an SMTP test server is: the same helpers serve.
function Stop-TestCloudServer {
    param([Parameter(ValueFromPipeline)] $Server)
    process { $Server | Stop-TestSmtpServer }
}

function Get-TestCloudEvent {
    param($Server, [string] $Event)
    Get-TestSmtpEvent -Server $Server -Event $Event
}

function Get-TestCloudMessage {
    <# The messages Graph accepted: mailbox, route (sendMail or draft), the parsed MIME and uploaded attachments. #>
    param($Server)
    Get-TestCloudEvent $Server -Event message | ForEach-Object {
        [pscustomobject]@{
            Mailbox     = $_.mailbox
            Route       = $_.route
            Patch       = $_.patch
            Attachments = @($_.attachments)
            Message     = [MimeKit.MimeMessage]::Load($_.file)
            Raw         = [IO.File]::ReadAllText($_.file)
        }
    }
}

function New-TestGoogleServiceAccountKey {
    <# A service account JSON key file as Google issues it, with token_uri pointing at $TokenUri; writes public.pem beside it. #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $TokenUri, [string] $ClientEmail = 'mailer@test-project.iam.gserviceaccount.com')
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $key = [ordered]@{
        type = 'service_account'; project_id = 'test-project'; private_key_id = [guid]::NewGuid().ToString('N')
        private_key = $rsa.ExportPkcs8PrivateKeyPem() + "`n"; client_email = $ClientEmail; client_id = '1234567890'
        auth_uri = 'https://127.0.0.1/unused'; token_uri = $TokenUri
    }
    $key | ConvertTo-Json | Set-Content -Path $Path
    $public = Join-Path (Split-Path $Path) 'google-public.pem'
    Set-Content -Path $public -Value $rsa.ExportSubjectPublicKeyInfoPem()
    $public
}

function Set-TestIdentityEndpoint {
    <#
    Points the App Service / Automation identity variables (IDENTITY_ENDPOINT, IDENTITY_HEADER) at the local stand-in
    on 127.0.0.1 (never the instance metadata address); returns a script block that puts the old values back.
    #>
    param([Parameter(Mandatory)] $Cloud, [Parameter(Mandatory)] [string] $Header)
    $saved = @{ Endpoint = $env:IDENTITY_ENDPOINT; Header = $env:IDENTITY_HEADER }
    $env:IDENTITY_ENDPOINT = "$($Cloud.Url)/msi/token"
    $env:IDENTITY_HEADER = $Header
    { $env:IDENTITY_ENDPOINT = $saved.Endpoint; $env:IDENTITY_HEADER = $saved.Header }.GetNewClosure()
}
