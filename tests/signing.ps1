# Helpers for the DKIM and S/MIME tests: keys, certificates issued by a test CA (New-TestCertificateAuthority in
# cloud.ps1: dot-source it too), and verifiers that are not MimeKit (dkimpy under Debian's python3, the openssl command line).
$script:DkimVerifier = Join-Path $PSScriptRoot 'servers/dkim_verify.py'

function New-TestDkimKey {
    <# An unencrypted PEM private key made by openssl: rsa (2048 bits unless -Bits), ed25519, or ec (P-256). #>
    param([Parameter(Mandatory)] [string] $Folder, [ValidateSet('rsa', 'ed25519', 'ec')] [string] $Type = 'rsa', [int] $Bits = 2048)
    $null = New-Item -ItemType Directory -Force -Path $Folder
    $path = Join-Path $Folder "dkim-$Type-$Bits-$([guid]::NewGuid().ToString('N').Substring(0, 6)).pem"
    $arguments = switch ($Type) {
        'rsa' { @('-algorithm', 'RSA', '-pkeyopt', "rsa_keygen_bits:$Bits") }
        'ed25519' { @('-algorithm', 'ed25519') }
        'ec' { @('-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256') }
    }
    $output = & openssl genpkey @arguments -out $path 2>&1
    if ($LASTEXITCODE -ne 0) { throw "openssl genpkey failed: $output" }
    $path
}

function Test-DkimSignature {
    <#
    Checks a message file's DKIM signature with dkimpy, giving it the backend's DkimRecord as the TXT record at the
    backend's Dkim.RecordName; returns dkimpy's verdict (ok, error, the names it asked for, the signature's tags).
    #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] $Backend)
    $record = Join-Path ([IO.Path]::GetTempPath()) "pscm-dkim-$([guid]::NewGuid().ToString('N')).txt"
    [IO.File]::WriteAllText($record, $Backend.DkimRecord)
    try {
        $json = & /usr/bin/python3 $script:DkimVerifier $Path --record $record --name $Backend.Dkim.RecordName 2>&1
        $verdict = ($json | Select-Object -Last 1) | ConvertFrom-Json
        $verdict | Add-Member -NotePropertyName ExitCode -NotePropertyValue $LASTEXITCODE -PassThru
    }
    finally { Remove-Item $record -ErrorAction Ignore }
}

function Edit-OneByte {
    <# A copy of the file with one byte changed: the byte -Skip bytes into the first occurrence of -At's text (ASCII). #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $At, [int] $Skip = 0)
    $bytes = [IO.File]::ReadAllBytes($Path)
    $index = [Text.Encoding]::Latin1.GetString($bytes).IndexOf($At, [StringComparison]::Ordinal)
    if ($index -lt 0) { throw "'$At' is not in $Path." }
    $index += $Skip
    $bytes[$index] = if ($bytes[$index] -eq [byte][char]'x') { [byte][char]'y' } else { [byte][char]'x' }
    $copy = "$Path.tampered"
    [IO.File]::WriteAllBytes($copy, $bytes)
    $copy
}

function New-TestSmimeCertificate {
    <#
    A person's S/MIME certificate issued by the test CA for one address, written as <address>-<random>.pem (certificate),
    .cer (the same, DER), .key.pem (PKCS#8 key) and .pfx (password 'test'); returns them with the certificate and its key.
    RSA of -RsaBits (2048) unless -EllipticCurve (ECDSA P-256, which signs but cannot encrypt).
    #>
    param(
        [Parameter(Mandatory)] $Authority,
        [Parameter(Mandatory)] [string] $Address,
        [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags] $KeyUsage = 'DigitalSignature, KeyEncipherment',
        [string[]] $ExtendedKeyUsage = @('1.3.6.1.5.5.7.3.4'),
        [DateTimeOffset] $NotBefore = [DateTimeOffset]::Now.AddDays(-1),
        [DateTimeOffset] $NotAfter = [DateTimeOffset]::Now.AddDays(30),
        [switch] $EllipticCurve,
        [int] $RsaBits = 2048
    )
    if ($EllipticCurve) {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Address", $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
    }
    else {
        $key = [System.Security.Cryptography.RSA]::Create($RsaBits)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
            "CN=$Address", $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    }
    $names = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $names.AddEmailAddress($Address)
    $request.CertificateExtensions.Add($names.Build())
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $true))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new($KeyUsage, $true))
    if ($ExtendedKeyUsage) {
        $oids = [System.Security.Cryptography.OidCollection]::new()
        foreach ($oid in $ExtendedKeyUsage) { $null = $oids.Add([System.Security.Cryptography.Oid]::new($oid)) }
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($oids, $false))
    }
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($request.PublicKey, $false))
    $serial = [byte[]]::new(12)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
    $serial[0] = $serial[0] -band 0x7F
    # The CA signs with RSA; a request for another key kind needs the CA's signature generator spelt out.
    $caSignature = [System.Security.Cryptography.X509Certificates.X509SignatureGenerator]::CreateForRSA(
        [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Authority.Certificate), [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $issued = $request.Create($Authority.Certificate.SubjectName, $caSignature, $NotBefore, $NotAfter, $serial)
    $withKey = if ($EllipticCurve) { [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($issued, $key) }
    else { [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($issued, $key) }
    $name = Join-Path $Authority.Folder (($Address -replace '[^A-Za-z0-9.-]', '_') + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
    Set-Content -Path "$name.pem" -Value $issued.ExportCertificatePem()
    [IO.File]::WriteAllBytes("$name.cer", $issued.RawData)
    Set-Content -Path "$name.key.pem" -Value $key.ExportPkcs8PrivateKeyPem()
    [IO.File]::WriteAllBytes("$name.pfx", $withKey.Export('Pfx', 'test'))
    [pscustomobject]@{
        Address = $Address; Certificate = $withKey; Pem = "$name.pem"; Der = "$name.cer"; Key = "$name.key.pem"; Pfx = "$name.pfx"
        Password = (ConvertTo-SecureString 'test' -AsPlainText -Force)
    }
}

function Invoke-OpenSslCms {
    <# Runs 'openssl cms' with the arguments; returns its exit code, its messages and what it wrote to -out. #>
    param([Parameter(Mandatory)] [string[]] $Arguments)
    $out = Join-Path ([IO.Path]::GetTempPath()) "pscm-cms-$([guid]::NewGuid().ToString('N')).out"
    try {
        $messages = & openssl cms @Arguments -out $out 2>&1 | Out-String
        [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Messages = $messages
            Output   = if (Test-Path $out) { [IO.File]::ReadAllText($out) } else { '' }
        }
    }
    finally { Remove-Item $out -ErrorAction Ignore }
}

function Test-SmimeSignature {
    <# openssl cms -verify against the test CA, for e-mail signing; ExitCode 0 means the signature and chain verify. #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] $Authority)
    Invoke-OpenSslCms @('-verify', '-in', $Path, '-CAfile', $Authority.Path, '-purpose', 'smimesign')
}

function Unprotect-SmimeMessage {
    <# openssl cms -decrypt with one recipient's certificate and key; Output is the decrypted MIME entity. #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] $Recipient)
    Invoke-OpenSslCms @('-decrypt', '-in', $Path, '-recip', $Recipient.Pem, '-inkey', $Recipient.Key)
}

function New-DamagedRsaKey {
    <#
    A copy of an RSA PEM key (PKCS#1) with one part damaged as 'openssl pkey -check' rejects it: the public exponent
    (3 instead of 65537), one bit of the modulus, or one bit of the first CRT exponent (dP).
    #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [ValidateSet('Exponent', 'Modulus', 'CrtExponent')] [string] $Damage)
    $rsa = [System.Security.Cryptography.RSA]::Create()
    $rsa.ImportFromPem([IO.File]::ReadAllText($Path))
    $key = $rsa.ExportParameters($true)
    switch ($Damage) {
        'Exponent' { $key.Exponent = [byte[]](3) }
        'Modulus' {
            # The first flipped bit that leaves no prime factor under 1000: BouncyCastle refuses such a modulus on
            # reading already, and this key must get as far as the check of its parts.
            $smallPrimes = 3..1000 | Where-Object { $n = $_; -not (2..[int][Math]::Sqrt($n) | Where-Object { $n % $_ -eq 0 }) }
            $modulus = $key.Modulus
            foreach ($bit in 8..512) {
                $candidate = [byte[]]$modulus.Clone()
                $candidate[-1 - [Math]::Floor($bit / 8)] = $candidate[-1 - [Math]::Floor($bit / 8)] -bxor (1 -shl ($bit % 8))
                $reversed = [byte[]]$candidate.Clone()
                [Array]::Reverse($reversed)
                $value = [System.Numerics.BigInteger]::new([byte[]]($reversed + 0))
                if (-not ($smallPrimes | Where-Object { $value % $_ -eq 0 })) { break }
            }
            $key.Modulus = $candidate
        }
        'CrtExponent' { $key.DP[-1] = $key.DP[-1] -bxor 0x02 }
    }
    $writer = [System.Formats.Asn1.AsnWriter]::new([System.Formats.Asn1.AsnEncodingRules]::DER)
    $sequence = $writer.PushSequence()
    $writer.WriteInteger(0)
    foreach ($part in $key.Modulus, $key.Exponent, $key.D, $key.P, $key.Q, $key.DP, $key.DQ, $key.InverseQ) {
        # Big-endian unsigned bytes to a BigInteger: little-endian with a zero byte on top keeps it positive.
        $littleEndian = [byte[]]$part.Clone()
        [Array]::Reverse($littleEndian)
        $writer.WriteInteger([System.Numerics.BigInteger]::new([byte[]]($littleEndian + 0)))
    }
    $sequence.Dispose()
    $damaged = $Path -replace '\.pem$', "-bad-$Damage.pem"
    Set-Content -Path $damaged -Value ([string]::new([System.Security.Cryptography.PemEncoding]::Write('RSA PRIVATE KEY', $writer.Encode())))
    $damaged
}
