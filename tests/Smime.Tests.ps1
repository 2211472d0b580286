# S/MIME signing and encryption, checked by 'openssl cms', not by MimeKit: over a real SMTP server and through the
# Directory backend, with a one-byte change as the negative control for each. The CA and certificates are made per run.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/cloud.ps1
    . $PSScriptRoot/signing.ps1
    $script:Authority = New-TestCertificateAuthority -Folder (Join-Path $TestDrive 'ca')
    $script:Ops = New-TestSmimeCertificate -Authority $Authority -Address 'ops@example.com'
    $script:Jane = New-TestSmimeCertificate -Authority $Authority -Address 'jane@example.com'
    $script:Audit = New-TestSmimeCertificate -Authority $Authority -Address 'audit@example.com'
    $script:Body = 'Salaries are attached. Do not forward.'

    function Get-LastReceived { param($Server) (Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1).file }
    function Get-OnlyEml { param([string] $Folder) @(Get-ChildItem $Folder -Filter *.eml)[0].FullName }
}

Describe 'S/MIME over SMTP' {
    BeforeAll {
        $script:Server = Start-TestSmtpServer
        $script:Smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Server.Port -Security None
    }
    AfterAll { $script:Server | Stop-TestSmtpServer }

    It 'signs detached (multipart/signed) what openssl cms -verify accepts; one changed byte fails it' {
        $result = Send-CompositeMail -Backend $Smtp @Mail -Body $Body -SigningCertificatePath $Ops.Pfx -SigningCertificatePassword $Ops.Password
        $result.Succeeded | Should -BeTrue
        $file = Get-LastReceived $Server

        [MimeKit.MimeMessage]::Load($file).Body.ContentType.MimeType | Should -Be 'multipart/signed'
        [IO.File]::ReadAllText($file) | Should -Match ([regex]::Escape($Body))
        $verified = Test-SmimeSignature -Path $file -Authority $Authority
        $verified.ExitCode | Should -Be 0 -Because $verified.Messages
        $verified.Output | Should -Match ([regex]::Escape($Body))

        $tampered = Test-SmimeSignature -Path (Edit-OneByte $file -At 'Salaries') -Authority $Authority
        $tampered.ExitCode | Should -Not -Be 0
    }

    It 'signs, then encrypts for every recipient (certificates as PEM and DER), who each decrypt with openssl' {
        $result = Send-CompositeMail -Backend $Smtp -From ops@example.com -To jane@example.com -Cc audit@example.com -Subject 'Payroll' -Body $Body `
            -SigningCertificate $Ops.Certificate -EncryptionCertificatePath $Jane.Pem, $Audit.Der
        $result.Succeeded | Should -BeTrue
        $received = Get-TestSmtpEvent $Server -Event message | Select-Object -Last 1
        $received.rcpt_tos | Should -Be 'jane@example.com', 'audit@example.com'
        $raw = [IO.File]::ReadAllText($received.file)
        [MimeKit.MimeMessage]::Load($received.file).Body.ContentType.MimeType | Should -Be 'application/pkcs7-mime'
        $raw | Should -Not -Match 'Salaries'

        foreach ($recipient in $Jane, $Audit) {
            $decrypted = Unprotect-SmimeMessage -Path $received.file -Recipient $recipient
            $decrypted.ExitCode | Should -Be 0 -Because $decrypted.Messages
            $decrypted.Output | Should -Match 'multipart/signed'
            $inner = Join-Path $TestDrive "inner-$($recipient.Address).eml"
            [IO.File]::WriteAllText($inner, $decrypted.Output)
            $verified = Test-SmimeSignature -Path $inner -Authority $Authority
            $verified.ExitCode | Should -Be 0 -Because $verified.Messages
            $verified.Output | Should -Match ([regex]::Escape($Body))
        }

        # One byte of the encrypted content (at the end, after the recipients' keys): what decrypts no longer verifies,
        # or nothing decrypts at all.
        $base64 = ($raw -split "`r`n`r`n", 2)[1].TrimEnd()
        $tamperedFile = Edit-OneByte $received.file -At $base64.Substring($base64.Length - 120, 12)
        $decrypted = Unprotect-SmimeMessage -Path $tamperedFile -Recipient $Jane
        if ($decrypted.ExitCode -eq 0) {
            $inner = Join-Path $TestDrive 'inner-tampered.eml'
            [IO.File]::WriteAllText($inner, $decrypted.Output)
            (Test-SmimeSignature -Path $inner -Authority $Authority).ExitCode | Should -Not -Be 0
        }
    }

    It 'resends a spooled signed message byte for byte: the signature stays valid' {
        $spool = Join-Path $TestDrive 'spool'
        $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port (Get-FreeTcpPort) -Security None -RetryCount 0
        $null = Send-CompositeMail -Backend $dead @Mail -Body $Body -SigningCertificate $Ops.Certificate -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $spooled = @(Get-ChildItem $spool -Filter *.eml)[0].FullName
        $bytes = [IO.File]::ReadAllBytes($spooled)

        (Get-MailSpool $spool | Send-CompositeMail -Backend $Smtp).Succeeded | Should -BeTrue
        $file = Get-LastReceived $Server
        [IO.File]::ReadAllBytes($file) | Should -Be $bytes
        (Test-SmimeSignature -Path $file -Authority $Authority).ExitCode | Should -Be 0
    }
}

Describe 'S/MIME through the Directory backend and the others' {
    It 'writes a signed file openssl verifies; one changed byte fails it' {
        $folder = Join-Path $TestDrive 'signed'
        $null = Send-CompositeMail -Backend (New-MailBackend -Directory $folder) @Mail -Body $Body -SigningCertificatePath $Ops.Pfx -SigningCertificatePassword $Ops.Password
        $eml = Get-OnlyEml $folder

        (Test-SmimeSignature -Path $eml -Authority $Authority).ExitCode | Should -Be 0
        (Test-SmimeSignature -Path (Edit-OneByte $eml -At 'Salaries') -Authority $Authority).ExitCode | Should -Not -Be 0
    }

    It 'writes an encrypted file only the recipient decrypts; a changed byte of its structure makes openssl fail' {
        $folder = Join-Path $TestDrive 'encrypted'
        $null = Send-CompositeMail -Backend (New-MailBackend -Directory $folder) @Mail -Body $Body -EncryptionCertificate $Jane.Certificate
        $eml = Get-OnlyEml $folder

        $decrypted = Unprotect-SmimeMessage -Path $eml -Recipient $Jane
        $decrypted.ExitCode | Should -Be 0 -Because $decrypted.Messages
        $decrypted.Output | Should -Match ([regex]::Escape($Body))
        (Unprotect-SmimeMessage -Path $eml -Recipient $Audit).ExitCode | Should -Not -Be 0
        (Invoke-OpenSslCms @('-cmsout', '-print', '-in', $eml)).Output | Should -Match 'contentEncryptionAlgorithm:\s+algorithm: aes-256-cbc'
        # The DER starts with a SEQUENCE ('MI' in base64); one byte there and it is no CMS structure any more.
        (Unprotect-SmimeMessage -Path (Edit-OneByte $eml -At "`r`n`r`nMI" -Skip 4) -Recipient $Jane).ExitCode | Should -Not -Be 0
    }

    It 'hands the same sealed message to every backend: memory, console and a folder get identical bytes' {
        $memory = New-MailBackend -Memory
        $folder = Join-Path $TestDrive 'same'
        $null = Send-CompositeMail -Backend $memory, (New-MailBackend -Directory $folder), (New-MailBackend -Console) @Mail -Body $Body `
            -SigningCertificate $Ops.Certificate -EncryptionCertificate $Jane.Certificate -InformationAction SilentlyContinue
        $memory.Messages[0].ToString() | Should -Be ([IO.File]::ReadAllText((Get-OnlyEml $folder)))
        (Unprotect-SmimeMessage -Path (Get-OnlyEml $folder) -Recipient $Jane).ExitCode | Should -Be 0
    }

    It 'signs with a certificate from the current user''s store, by thumbprint' {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        $persisted = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Ops.Pfx, 'test', 'PersistKeySet, Exportable')
        $store.Add($persisted)
        try {
            $folder = Join-Path $TestDrive 'store'
            $null = Send-CompositeMail -Backend (New-MailBackend -Directory $folder) @Mail -Body $Body -SigningCertificateThumbprint $Ops.Certificate.Thumbprint
            (Test-SmimeSignature -Path (Get-OnlyEml $folder) -Authority $Authority).ExitCode | Should -Be 0
        }
        finally {
            $store.Remove($persisted)
            $store.Dispose()
        }
    }
}

Describe 'Unusable S/MIME input is refused before anything is sent' {
    BeforeAll {
        $script:Expired = New-TestSmimeCertificate -Authority $Authority -Address 'jane@example.com' -NotBefore ([DateTimeOffset]::Now.AddDays(-5)) -NotAfter ([DateTimeOffset]::Now.AddDays(-1))
        $script:EncryptOnly = New-TestSmimeCertificate -Authority $Authority -Address 'ops@example.com' -KeyUsage KeyEncipherment
        $script:SignOnly = New-TestSmimeCertificate -Authority $Authority -Address 'jane@example.com' -KeyUsage DigitalSignature
        $script:ServerOnly = New-TestSmimeCertificate -Authority $Authority -Address 'ops@example.com' -ExtendedKeyUsage '1.3.6.1.5.5.7.3.1'
        # Issue 20: DKIM refused 1024-bit keys while S/MIME encrypted for them without a word.
        $script:Weak = New-TestSmimeCertificate -Authority $Authority -Address 'jane@example.com' -RsaBits 1024
    }

    It 'refuses <Case>, names it, and the rest of the pipeline goes on' -TestCases @(
        @{ Case = 'a Cc recipient without a certificate'; Smime = { @{ EncryptionCertificatePath = $Jane.Pem } }; Extra = @{ Cc = 'audit@example.com' }; Pattern = 'No -EncryptionCertificate is for audit@example.com'; Target = 'audit@example.com'; Category = 'InvalidArgument' }
        @{ Case = 'Bcc with encryption, even with the Bcc recipient''s certificate'; Smime = { @{ EncryptionCertificatePath = $Jane.Pem, $Audit.Pem } }; Extra = @{ Bcc = 'audit@example.com' }; Pattern = '-Bcc cannot be used with encryption.*Send each Bcc recipient a message of their own'; Target = 'audit@example.com'; Category = 'InvalidArgument' }
        @{ Case = 'an expired encryption certificate'; Smime = { @{ EncryptionCertificate = $Expired.Certificate } }; Extra = @{}; Pattern = 'expired on'; Category = 'InvalidArgument' }
        @{ Case = 'a signing certificate without its private key'; Smime = { @{ SigningCertificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Ops.Pem) } }; Extra = @{}; Pattern = 'has no private key'; Category = 'InvalidArgument' }
        @{ Case = 'a signing certificate whose key usage does not allow signing'; Smime = { @{ SigningCertificate = $EncryptOnly.Certificate } }; Extra = @{}; Pattern = 'does not allow signing'; Category = 'InvalidArgument' }
        @{ Case = 'a 1024-bit RSA encryption certificate'; Smime = { @{ EncryptionCertificatePath = $Weak.Pem } }; Extra = @{}; Pattern = '1024-bit RSA key; S/MIME needs 2048 bits or more'; Category = 'InvalidArgument' }
        @{ Case = 'an encryption certificate whose key usage does not allow encryption'; Smime = { @{ EncryptionCertificate = $SignOnly.Certificate } }; Extra = @{}; Pattern = 'does not allow encrypting'; Category = 'InvalidArgument' }
        @{ Case = 'a certificate only for TLS servers'; Smime = { @{ SigningCertificate = $ServerOnly.Certificate } }; Extra = @{}; Pattern = 'not for e-mail protection'; Category = 'InvalidArgument' }
        @{ Case = 'a PFX with the wrong password'; Smime = { @{ SigningCertificatePath = $Ops.Pfx; SigningCertificatePassword = (ConvertTo-SecureString 'wrong' -AsPlainText -Force) } }; Extra = @{}; Pattern = 'cannot be read'; Target = $Ops.Pfx; Category = 'ReadError' }
        @{ Case = 'a missing certificate file'; Smime = { @{ EncryptionCertificatePath = (Join-Path $TestDrive 'nobody.pem') } }; Extra = @{}; Pattern = 'was not found'; Category = 'ObjectNotFound' }
        @{ Case = 'a thumbprint not in the store'; Smime = { @{ SigningCertificateThumbprint = ('AB' * 20) } }; Extra = @{}; Pattern = 'current user''s personal store'; Category = 'ObjectNotFound' }
    ) {
        $memory = New-MailBackend -Memory
        $smime = & $Smime
        $rows = @(
            [pscustomobject]@{ To = 'jane@example.com'; Subject = 'refused' }
            [pscustomobject]@{ To = 'bob@example.com'; Subject = 'plain' }
        )
        # The first row carries the bad S/MIME input; the second is sent by a second call in the same pipeline.
        $results = @($rows[0] | Send-CompositeMail -Backend $memory -From ops@example.com -Body $Body @smime @Extra -ErrorVariable failures -ErrorAction SilentlyContinue)
        $results += $rows[1] | Send-CompositeMail -Backend $memory -From ops@example.com -Body $Body

        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMessage,*'
        $failures[0].Exception.Message | Should -Match $Pattern
        $failures[0].CategoryInfo.Category | Should -Be $Category
        if ($Target) { $failures[0].TargetObject | Should -Be $Target }
        $memory.Messages.Subject | Should -Be 'plain'
    }

    It 'refuses one row of a mail merge whose recipient has no certificate, and encrypts the others' {
        $folder = Join-Path $TestDrive 'merge'
        $rows = @(
            [pscustomobject]@{ To = 'jane@example.com'; Subject = 'for jane'; EncryptionCertificatePath = $Jane.Pem }
            [pscustomobject]@{ To = 'bob@example.com'; Subject = 'for bob'; EncryptionCertificatePath = $Audit.Pem }
            [pscustomobject]@{ To = 'audit@example.com'; Subject = 'for audit'; EncryptionCertificatePath = $Audit.Pem }
        )
        $results = $rows | Send-CompositeMail -Backend (New-MailBackend -Directory $folder) -From ops@example.com -Body $Body -ErrorVariable failures -ErrorAction SilentlyContinue

        $results.Subject | Should -Be 'for jane', 'for audit'
        $failures.Count | Should -Be 1
        $failures[0].TargetObject | Should -Be 'bob@example.com'
        @(Get-ChildItem $folder -Filter *.eml).Count | Should -Be 2
    }
}

Describe 'An encrypted mail merge over a folder of certificates' {
    BeforeAll {
        $script:Certificates = Join-Path $TestDrive 'people'
        $null = New-Item -ItemType Directory -Path $Certificates
        $script:Former = New-TestSmimeCertificate -Authority $Authority -Address 'former@example.com' -NotBefore ([DateTimeOffset]::Now.AddDays(-5)) -NotAfter ([DateTimeOffset]::Now.AddDays(-1))
        foreach ($person in $Jane, $Audit, $Former) { Copy-Item $person.Pem $Certificates }
    }

    It 'encrypts each row only for its own recipient; someone else''s expired certificate is left out (verbose), not a reason to refuse' {
        $folder = Join-Path $TestDrive 'merge-folder'
        $rows = @(
            [pscustomobject]@{ To = 'jane@example.com'; Subject = 'for jane' }
            [pscustomobject]@{ To = 'audit@example.com'; Subject = 'for audit' }
        )
        $verbose = $rows | Send-CompositeMail -Backend (New-MailBackend -Directory $folder) -From ops@example.com -Body $Body `
            -EncryptionCertificatePath (Join-Path $Certificates '*.pem') -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }

        $failures.Count | Should -Be 0
        $files = @(Get-ChildItem $folder -Filter *.eml | ForEach-Object FullName)
        $files.Count | Should -Be 2
        foreach ($file in $files) {
            $owner, $other = if ([MimeKit.MimeMessage]::Load($file).Subject -eq 'for jane') { $Jane, $Audit } else { $Audit, $Jane }
            (Unprotect-SmimeMessage -Path $file -Recipient $owner).ExitCode | Should -Be 0
            (Unprotect-SmimeMessage -Path $file -Recipient $other).ExitCode | Should -Not -Be 0 -Because "a row for $($owner.Address) must not be readable by $($other.Address)"
            ([regex]::Matches((Invoke-OpenSslCms @('-cmsout', '-print', '-in', $file)).Output, 'd.ktri:')).Count | Should -Be 1
        }
        ($verbose.Message -match 'not encrypting for .*former@example\.com').Count | Should -Be 2
    }
}

Describe 'An encrypted mail merge never sends a row in clear text' {
    It 'refuses a CSV row whose EncryptionCertificatePath cell is empty, and sends the others encrypted' {
        $csv = Join-Path $TestDrive 'merge.csv'
        @(
            [pscustomobject]@{ To = 'jane@example.com'; Subject = 'for jane'; EncryptionCertificatePath = $Jane.Pem }
            [pscustomobject]@{ To = 'bob@example.com'; Subject = 'for bob'; EncryptionCertificatePath = '' }
            [pscustomobject]@{ To = 'audit@example.com'; Subject = 'for audit'; EncryptionCertificatePath = $Audit.Pem }
        ) | Export-Csv -Path $csv -NoTypeInformation
        $memory = New-MailBackend -Memory

        $results = Import-Csv $csv | Send-CompositeMail -Backend $memory -From ops@example.com -Body $Body -ErrorVariable failures -ErrorAction SilentlyContinue

        $results.Subject | Should -Be 'for jane', 'for audit'
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMessage,*'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].Exception.Message | Should -Match 'EncryptionCertificatePath is given but empty'
        $memory.Messages.Subject | Should -Be 'for jane', 'for audit'
        foreach ($message in $memory.Messages) { $message.ToString() | Should -Not -Match 'Salaries' }
    }

    It 'refuses a row whose certificate property is $null or missing once earlier rows were encrypted' {
        $memory = New-MailBackend -Memory
        $rows = @(
            [pscustomobject]@{ To = 'jane@example.com'; Subject = 'for jane'; EncryptionCertificate = $Jane.Certificate }
            [pscustomobject]@{ To = 'bob@example.com'; Subject = 'null'; EncryptionCertificate = $null }
            [pscustomobject]@{ To = 'bob@example.com'; Subject = 'missing' }
            [pscustomobject]@{ To = 'audit@example.com'; Subject = 'for audit'; EncryptionCertificate = $Audit.Certificate }
        )

        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -Body $Body -ErrorVariable failures -ErrorAction SilentlyContinue

        $results.Subject | Should -Be 'for jane', 'for audit'
        $failures.Count | Should -Be 2
        $failures.Exception.Message | Should -Match 'asked for encryption'
        $memory.Messages.Subject | Should -Be 'for jane', 'for audit'
    }
}

Describe 'A signing certificate that is not for the From address' {
    It 'warns that readers will flag it, and still sends a signature openssl verifies' {
        $folder = Join-Path $TestDrive 'other-signer'
        $null = Send-CompositeMail -Backend (New-MailBackend -Directory $folder) -From jane@example.com -To ops@example.com -Subject 'Report' -Body $Body `
            -SigningCertificate $Ops.Certificate -WarningVariable warnings -WarningAction SilentlyContinue

        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'is for ops@example\.com, not for the From address jane@example\.com'
        (Test-SmimeSignature -Path (Get-OnlyEml $folder) -Authority $Authority).ExitCode | Should -Be 0
    }

    It 'does not warn when the certificate is for the From address' {
        $null = Send-CompositeMail -Backend (New-MailBackend -Memory) @Mail -SigningCertificate $Ops.Certificate -WarningVariable warnings
        $warnings.Count | Should -Be 0
    }
}

Describe 'S/MIME signing with an elliptic-curve (P-256) certificate' {
    It 'signs with ECDSA from a PFX what openssl cms -verify accepts; one changed byte fails it' {
        $ecOps = New-TestSmimeCertificate -Authority $Authority -Address 'ops@example.com' -EllipticCurve -KeyUsage DigitalSignature
        $folder = Join-Path $TestDrive 'ecdsa'
        $result = Send-CompositeMail -Backend (New-MailBackend -Directory $folder) @Mail -Body $Body -SigningCertificatePath $ecOps.Pfx -SigningCertificatePassword $ecOps.Password
        $result.Succeeded | Should -BeTrue
        $eml = Get-OnlyEml $folder

        $verified = Test-SmimeSignature -Path $eml -Authority $Authority
        $verified.ExitCode | Should -Be 0 -Because $verified.Messages
        (Invoke-OpenSslCms @('-cmsout', '-print', '-in', $eml, '-inform', 'SMIME')).Output | Should -Match 'ecdsa-with-SHA256'
        (Test-SmimeSignature -Path (Edit-OneByte $eml -At 'Salaries') -Authority $Authority).ExitCode | Should -Not -Be 0
    }
}
