# DKIM signing, checked by dkimpy (Debian's python3-dkim), not by MimeKit: over a real SMTP server and through the
# Directory backend, with a one-byte change as the negative control for each.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/signing.ps1
    $script:Keys = Join-Path $TestDrive 'keys'
    $script:RsaKey = New-TestDkimKey -Folder $Keys -Type rsa
    $script:EdKey = New-TestDkimKey -Folder $Keys -Type ed25519
    $script:Dkim = @{ DkimDomain = 'example.com'; DkimSelector = 'mail2026' }

    function Get-OnlyEml { param([string] $Folder) @(Get-ChildItem $Folder -Filter *.eml)[0].FullName }
}

Describe 'DKIM over SMTP' {
    BeforeAll { $script:Server = Start-TestSmtpServer }
    AfterAll { $script:Server | Stop-TestSmtpServer }

    It 'signs with rsa-sha256 what the server received, From signed twice, and one changed byte breaks it' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None @Dkim -DkimPrivateKeyPath $RsaKey
        $result = Send-CompositeMail -Backend $smtp @Mail -Cc 'cc@example.com' -Bcc 'hidden@example.com' -Subject 'Disk report für Jane' -Body 'The disk is fine.'
        $result.Succeeded | Should -BeTrue
        $received = Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1

        $verdict = Test-DkimSignature -Path $received.file -Backend $smtp
        $verdict.ok | Should -BeTrue -Because $verdict.error
        $verdict.asked | Should -Be 'mail2026._domainkey.example.com.'
        $verdict.tags.a | Should -Be 'rsa-sha256'
        $verdict.tags.c | Should -Be 'relaxed/relaxed'
        $verdict.tags.d | Should -Be 'example.com'
        $fields = $verdict.tags.h -replace '\s', '' -split ':'
        foreach ($twice in 'from', 'to', 'cc', 'subject') {
            @($fields | Where-Object { $_ -eq $twice }).Count | Should -Be 2 -Because "$twice is signed twice against an added one"
        }
        $fields | Should -Contain 'date'
        $fields | Should -Contain 'message-id'
        $fields | Should -Contain 'content-type'
        $fields | Should -Not -Contain 'bcc'
        $received.rcpt_tos | Should -Contain 'hidden@example.com'
        [IO.File]::ReadAllText($received.file) | Should -Not -Match 'hidden@example\.com'

        (Test-DkimSignature -Path (Edit-OneByte $received.file -At 'The disk') -Backend $smtp).ok | Should -BeFalse
        (Test-DkimSignature -Path (Edit-OneByte $received.file -At 'jane@example.com') -Backend $smtp).ok | Should -BeFalse
        foreach ($added in 'Subject: Urgent: wire the money', 'To: attacker@example.net', 'Cc: attacker@example.net') {
            $forged = "$($received.file).added"
            [IO.File]::WriteAllText($forged, "$added`r`n" + [IO.File]::ReadAllText($received.file))
            (Test-DkimSignature -Path $forged -Backend $smtp).ok | Should -BeFalse -Because "a header added on the way ($added) must break the signature"
        }
    }

    It 'signs with ed25519-sha256, and a From added after signing breaks the signature' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None @Dkim -DkimPrivateKeyPath $EdKey
        $null = Send-CompositeMail -Backend $smtp @Mail
        $file = (Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1).file

        $verdict = Test-DkimSignature -Path $file -Backend $smtp
        $verdict.ok | Should -BeTrue -Because $verdict.error
        $verdict.tags.a | Should -Be 'ed25519-sha256'
        $smtp.DkimRecord | Should -Match '^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$'

        $forged = "$file.forged"
        [IO.File]::WriteAllText($forged, "From: ceo@example.com`r`n" + [IO.File]::ReadAllText($file))
        (Test-DkimSignature -Path $forged -Backend $smtp).ok | Should -BeFalse
    }

    It 'signs every message when sessions deliver in parallel (-ThrottleLimit)' {
        $before = @(Get-TestSmtpEvent $Server -Event message).Count
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None @Dkim -DkimPrivateKeyPath $RsaKey
        $results = 1..8 | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "Parallel $_" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Body 'parallel' -ThrottleLimit 4

        @($results | Where-Object Succeeded).Count | Should -Be 8
        $files = @(Get-TestSmtpEvent $Server -Event message | Select-Object -Skip $before).file
        $files.Count | Should -Be 8
        foreach ($file in $files) { (Test-DkimSignature -Path $file -Backend $smtp).ok | Should -BeTrue }
    }

    It 'prepares an 8-bit .eml for any transport before signing: what leaves is 7-bit and verifies' {
        $eml = Join-Path $TestDrive 'eight-bit.eml'
        $text = "From: ops@example.com`r`nTo: jane@example.com`r`nSubject: 8bit`r`nMIME-Version: 1.0`r`n" +
            "Content-Type: text/plain; charset=utf-8`r`nContent-Transfer-Encoding: 8bit`r`n`r`nÄrger über Öl`r`n"
        [IO.File]::WriteAllBytes($eml, [Text.Encoding]::UTF8.GetBytes($text))
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None @Dkim -DkimPrivateKeyPath $RsaKey
        $null = Send-CompositeMail -Backend $smtp -Path $eml
        $file = (Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1).file

        @([IO.File]::ReadAllBytes($file) | Where-Object { $_ -ge 128 }).Count | Should -Be 0
        (Test-DkimSignature -Path $file -Backend $smtp).ok | Should -BeTrue
        [MimeKit.MimeMessage]::Load($file).TextBody | Should -Match 'Ärger über Öl'
        [IO.File]::ReadAllText($eml) | Should -Match 'Content-Transfer-Encoding: 8bit'
    }

    It 'refuses to sign again an .eml that carries another domain''s DKIM-Signature (a replay), and signs one of its own domain' {
        $foreign = Join-Path $TestDrive 'foreign-signed.eml'
        [IO.File]::WriteAllText($foreign, "DKIM-Signature: v=1; a=rsa-sha256; d=gmail.com; s=s1; h=from:to:subject; bh=abc=; b=def=`r`nFrom: someone@gmail.com`r`nTo: jane@example.com`r`nSubject: replayed`r`n`r`nbody`r`n")
        $own = Join-Path $TestDrive 'own-signed.eml'
        [IO.File]::WriteAllText($own, "DKIM-Signature: v=1; a=rsa-sha256; d=mail.example.com; s=s1; h=from:to:subject; bh=abc=; b=def=`r`nFrom: ops@example.com`r`nTo: jane@example.com`r`nSubject: own`r`n`r`nbody`r`n")
        $folder = Join-Path $TestDrive 'replay-outbox'
        $signer = New-MailBackend -Directory $folder @Dkim -DkimPrivateKeyPath $RsaKey

        $null = Send-CompositeMail -Backend $signer -Path $foreign, $own -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match 'DKIM-Signature of gmail\.com, and this backend signs as example\.com'
        @(Get-ChildItem $folder -Filter *.eml).Count | Should -Be 1
        [IO.File]::ReadAllText((Get-OnlyEml $folder)) | Should -Match 'Subject: own'
    }

    It 'resends an already signed .eml byte for byte through a backend without DKIM: the signature stays valid' {
        $folder = Join-Path $TestDrive 'signed-outbox'
        $signer = New-MailBackend -Directory $folder @Dkim -DkimPrivateKeyPath $RsaKey
        $null = Send-CompositeMail -Backend $signer @Mail -Body "Résumé`nattached"
        $eml = Get-OnlyEml $folder

        $plain = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None
        (Send-CompositeMail -Backend $plain -Path $eml).Succeeded | Should -BeTrue
        $file = (Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1).file

        [IO.File]::ReadAllBytes($file) | Should -Be ([IO.File]::ReadAllBytes($eml))
        (Test-DkimSignature -Path $file -Backend $signer).ok | Should -BeTrue
    }

    It 'a spooled message is signed when it is resent through a DKIM backend' {
        $spool = Join-Path $TestDrive 'spool'
        $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0 @Dkim -DkimPrivateKeyPath $RsaKey
        $null = Send-CompositeMail -Backend $dead @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $live = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None @Dkim -DkimPrivateKeyPath $RsaKey

        (Get-MailSpool $spool | Send-CompositeMail -Backend $live).Succeeded | Should -BeTrue
        $file = (Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1).file
        (Test-DkimSignature -Path $file -Backend $live).ok | Should -BeTrue
        @(Get-MailSpool $spool).Count | Should -Be 0
    }
}

Describe 'DKIM through the Directory backend' {
    It 'signs each file, keeping its Bcc header for pickup outside the signature; one changed byte breaks it' {
        $folder = Join-Path $TestDrive 'outbox-ed'
        $outbox = New-MailBackend -Directory $folder @Dkim -DkimPrivateKeyPath $EdKey
        $null = Send-CompositeMail -Backend $outbox @Mail -Bcc 'hidden@example.com'
        $eml = Get-OnlyEml $folder

        $verdict = Test-DkimSignature -Path $eml -Backend $outbox
        $verdict.ok | Should -BeTrue
        $verdict.tags.h -replace '\s', '' -split ':' | Should -Not -Contain 'bcc'
        [IO.File]::ReadAllText($eml) | Should -Match 'Bcc: hidden@example\.com'
        (Test-DkimSignature -Path (Edit-OneByte $eml -At 'All fine') -Backend $outbox).ok | Should -BeFalse
    }

    It 'signs a copy: the message other backends of the composite get is unchanged, each signer adds only its own signature' {
        $first = New-MailBackend -Directory (Join-Path $TestDrive 'a') -Name a @Dkim -DkimPrivateKeyPath $RsaKey
        $second = New-MailBackend -Directory (Join-Path $TestDrive 'b') -Name b -DkimDomain example.org -DkimSelector other -DkimPrivateKeyPath $EdKey
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $first, $memory, $second @Mail

        $memory.Messages[0].ToString() | Should -Not -Match 'DKIM-Signature'
        foreach ($backend in $first, $second) {
            $eml = Get-OnlyEml $backend.Path
            @(Select-String -Path $eml -Pattern '^DKIM-Signature:').Count | Should -Be 1
            (Test-DkimSignature -Path $eml -Backend $backend).ok | Should -BeTrue
        }
    }
}

Describe 'DKIM in profiles and from a secret' {
    It 'takes the key from DkimPrivateKeyEnv or a DkimPrivateKeyPath relative to the profile' {
        $folder = Join-Path $TestDrive 'profile'
        $null = New-Item -ItemType Directory -Force $folder
        Copy-Item $RsaKey (Join-Path $folder 'dkim.key')
        Set-Content (Join-Path $folder 'mail.psd1') @"
@{
    Production = @{ Backends = @(
        @{ Type = 'Directory'; Name = 'env'; Path = './env'; DkimDomain = 'example.com'; DkimSelector = 'mail2026'; DkimPrivateKeyEnv = 'PSCM_TEST_DKIM_KEY' }
        @{ Type = 'Smtp'; Name = 'file'; SmtpServer = '127.0.0.1'; DkimDomain = 'example.com'; DkimSelector = 'mail2026'; DkimPrivateKeyPath = './dkim.key' }
    ) }
}
"@
        $env:PSCM_TEST_DKIM_KEY = Get-Content $EdKey -Raw
        try { $fromEnv, $fromFile = Import-MailBackend (Join-Path $folder 'mail.psd1') -Environment Production }
        finally { Remove-Item Env:PSCM_TEST_DKIM_KEY }

        $fromEnv.Dkim.Algorithm | Should -Be 'ed25519-sha256'
        $fromFile.Dkim.Algorithm | Should -Be 'rsa-sha256'
        $null = Send-CompositeMail -Backend $fromEnv @Mail
        (Test-DkimSignature -Path (Get-OnlyEml $fromEnv.Path) -Backend $fromEnv).ok | Should -BeTrue
    }

    It 'names the file, the environment and the key when the key''s variable is not set' {
        $profilePath = Join-Path $TestDrive 'missing.psd1'
        Set-Content $profilePath "@{ Production = @{ Backends = @( @{ Type = 'Directory'; Path = './o'; DkimDomain = 'example.com'; DkimSelector = 's'; DkimPrivateKeyEnv = 'PSCM_TEST_NO_SUCH_KEY' } ) } }"
        { Import-MailBackend $profilePath -Environment Production } | Should -Throw -ExpectedMessage "*missing.psd1*Production*DkimPrivateKeyEnv*"
    }

    It 'names the entry''s key the way the profile spells it: <Case>' -TestCases @(
        @{ Case = 'both DkimPrivateKeyEnv and DkimPrivateKeyPath'; Keys = "DkimSelector = 's'; DkimPrivateKeyEnv = 'PSCM_TEST_DKIM_KEY'; DkimPrivateKeyPath = './dkim.key'"; Key = 'Backends[[]0].DkimPrivateKeyEnv'; Says = 'Give the DKIM key once' }
        @{ Case = 'no DkimSelector'; Keys = "DkimPrivateKeyPath = './dkim.key'"; Key = 'Backends[[]0].DkimSelector'; Says = 'DKIM needs DkimDomain, DkimSelector' }
        @{ Case = 'no key'; Keys = "DkimSelector = 's'"; Key = 'Backends[[]0].DkimPrivateKeyPath'; Says = 'DKIM needs*DkimPrivateKeyEnv in a profile' }
    ) {
        $folder = Join-Path $TestDrive 'profile-keys'
        $null = New-Item -ItemType Directory -Force $folder
        Copy-Item $RsaKey (Join-Path $folder 'dkim.key')
        $profilePath = Join-Path $folder 'mail.psd1'
        Set-Content $profilePath "@{ Production = @{ Backends = @( @{ Type = 'Directory'; Path = './o'; DkimDomain = 'example.com'; $Keys } ) } }"
        $env:PSCM_TEST_DKIM_KEY = Get-Content $RsaKey -Raw
        try { { Import-MailBackend $profilePath -Environment Production } | Should -Throw -ExpectedMessage "*key '$Key': $Says*" }
        finally { Remove-Item Env:PSCM_TEST_DKIM_KEY }
    }

    It 'takes the PEM text as a SecureString with -DkimPrivateKey' {
        $secret = ConvertTo-SecureString (Get-Content $RsaKey -Raw) -AsPlainText -Force
        $outbox = New-MailBackend -Directory (Join-Path $TestDrive 'secret') @Dkim -DkimPrivateKey $secret
        $null = Send-CompositeMail -Backend $outbox @Mail
        (Test-DkimSignature -Path (Get-OnlyEml $outbox.Path) -Backend $outbox).ok | Should -BeTrue
        { New-MailBackend -Directory $TestDrive @Dkim -DkimPrivateKey $secret -DkimPrivateKeyPath $RsaKey } | Should -Throw -ErrorId 'DkimIncomplete,*'
    }
}

Describe 'DKIM keys are checked by New-MailBackend' {
    It 'prints the DNS TXT record to publish for an RSA key' {
        $outbox = New-MailBackend -Directory (Join-Path $TestDrive 'o') @Dkim -DkimPrivateKeyPath $RsaKey
        $outbox.Dkim.RecordName | Should -Be 'mail2026._domainkey.example.com'
        $outbox.Dkim.Algorithm | Should -Be 'rsa-sha256'
        $outbox.Dkim.KeyBits | Should -Be 2048
        $outbox.DkimRecord | Should -Match '^v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/=]+$'
        $der = Join-Path $TestDrive 'public.der'
        & openssl pkey -in $RsaKey -pubout -outform DER -out $der
        $outbox.DkimRecord | Should -Be "v=DKIM1; k=rsa; p=$([Convert]::ToBase64String([IO.File]::ReadAllBytes($der)))"
        $outbox.Dkim.ZoneFileLine | Should -Match '^mail2026\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+" \)$'
    }

    It 'refuses <Case> when the backend is made' -TestCases @(
        @{ Case = 'a 1024-bit RSA key'; Make = { New-TestDkimKey -Folder $Keys -Type rsa -Bits 1024 }; Pattern = '1024-bit RSA key; DKIM needs 2048 bits'; Category = 'InvalidArgument' }
        @{ Case = 'an EC key'; Make = { New-TestDkimKey -Folder $Keys -Type ec }; Pattern = 'elliptic-curve'; Category = 'InvalidArgument' }
        @{ Case = 'a public key'; Make = { $p = Join-Path $Keys 'public.pem'; & openssl pkey -in $RsaKey -pubout -out $p; $p }; Pattern = 'holds a public key'; Category = 'InvalidArgument' }
        @{ Case = 'a certificate'; Make = { $p = Join-Path $Keys 'cert.pem'; Set-Content $p (New-TestCertificate -Folder (Join-Path $Keys 'c')).ExportCertificatePem(); $p }; Pattern = 'holds a certificate'; Category = 'InvalidArgument' }
        @{ Case = 'an encrypted key'; Make = { $p = Join-Path $Keys 'enc.pem'; & openssl pkey -in $RsaKey -aes256 -passout pass:x -out $p; $p }; Pattern = 'no readable PEM private key'; Category = 'InvalidArgument' }
        @{ Case = 'a file that is not PEM'; Make = { $p = Join-Path $Keys 'junk.pem'; Set-Content $p 'not a key'; $p }; Pattern = 'holds no PEM block'; Category = 'InvalidArgument' }
        @{ Case = 'a missing file'; Make = { Join-Path $Keys 'missing.pem' }; Pattern = 'was not found'; Category = 'ObjectNotFound' }
        @{ Case = 'an RSA key with a wrong public exponent'; Make = { New-DamagedRsaKey $RsaKey -Damage Exponent }; Pattern = 'damaged RSA key'; Category = 'InvalidArgument' }
        # A flipped modulus bit may leave a small prime factor that BouncyCastle already refuses on reading: refused either way.
        @{ Case = 'an RSA key with one modulus bit flipped'; Make = { New-DamagedRsaKey $RsaKey -Damage Modulus }; Pattern = 'damaged RSA key|no readable PEM private key \(problem creating RSA private key\)'; Category = 'InvalidArgument' }
        @{ Case = 'an RSA key with a corrupted CRT exponent'; Make = { New-DamagedRsaKey $RsaKey -Damage CrtExponent }; Pattern = 'damaged RSA key'; Category = 'InvalidArgument' }
    ) {
        $path = & $Make
        $failure = $null
        try { $null = New-MailBackend -Smtp -SmtpServer 127.0.0.1 @Dkim -DkimPrivateKeyPath $path }
        catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidDkimKey,*'
        $failure.Exception.Message | Should -Match $Pattern
        $failure.CategoryInfo.Category | Should -Be $Category
        $failure.TargetObject | Should -Be 'DkimPrivateKeyPath'
    }

    It 'refuses a selector or domain that is not a DNS name, and DKIM parameters given only in part' {
        { New-MailBackend -Directory $TestDrive -DkimDomain example.com -DkimSelector 'a; x=1' -DkimPrivateKeyPath $RsaKey } |
            Should -Throw -ErrorId 'InvalidDkimKey,*' -ExpectedMessage "*-DkimSelector 'a; x=1' is not a DNS name*"
        { New-MailBackend -Directory $TestDrive -DkimDomain 'exa mple.com' -DkimSelector s -DkimPrivateKeyPath $RsaKey } |
            Should -Throw -ErrorId 'InvalidDkimKey,*'
        { New-MailBackend -Directory $TestDrive -DkimDomain example.com -DkimPrivateKeyPath $RsaKey } |
            Should -Throw -ErrorId 'DkimIncomplete,*'
    }

    It 'refuses a damaged RSA key (<Damage>) that openssl pkey -check rejects, in a profile too' -TestCases @(
        @{ Damage = 'Exponent' }, @{ Damage = 'Modulus' }, @{ Damage = 'CrtExponent' }
    ) {
        $damaged = New-DamagedRsaKey $RsaKey -Damage $Damage
        $null = & openssl pkey -check -noout -in $damaged 2>&1
        $LASTEXITCODE | Should -Not -Be 0 -Because 'the independent tool must agree the key is damaged'
        $profilePath = Join-Path $TestDrive "damaged-$Damage.psd1"
        Set-Content $profilePath "@{ Production = @{ Backends = @( @{ Type = 'Directory'; Path = './o'; DkimDomain = 'example.com'; DkimSelector = 's'; DkimPrivateKeyPath = '$damaged' } ) } }"
        $failure = $null
        try { $null = Import-MailBackend $profilePath -Environment Production } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidMailProfile,*'
        $failure.Exception.Message | Should -BeLike '*Backends`[0`].DkimPrivateKeyPath*'
        # A flipped modulus bit may leave a small prime factor that BouncyCastle already refuses on reading: refused either way.
        $failure.Exception.Message | Should -Match 'damaged RSA key|no readable PEM private key \(problem creating RSA private key\)'
    }
}
