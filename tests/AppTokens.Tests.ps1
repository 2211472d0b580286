BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/cloud.ps1
    $script:Tenant = 'contoso.onmicrosoft.com'
    $script:SecretApp = '11111111-1111-1111-1111-111111111111'
    $script:CertificateApp = '22222222-2222-2222-2222-222222222222'
    $script:Secret = 'Sup3r~Secret.Value-' + [guid]::NewGuid().ToString('N')
    $script:SecureSecret = ConvertTo-SecureString $Secret -AsPlainText -Force
    $script:IdentityHeader = [guid]::NewGuid().ToString('N')
    $script:UserAssigned = '33333333-3333-3333-3333-333333333333'

    # The app certificate: as an object, a password-protected PFX and a PEM file with its key.
    $script:AppFolder = Join-Path $TestDrive 'app'
    $null = New-Item -ItemType Directory -Path $AppFolder
    $script:AppCertificate = New-TestRsaCertificate -Subject 'CN=PSCompositeMail mailer app'
    $script:PfxPassword = 'pfx-' + [guid]::NewGuid().ToString('N')
    $script:PfxPath = Join-Path $AppFolder 'app.pfx'
    [IO.File]::WriteAllBytes($PfxPath, $AppCertificate.Export('Pfx', $PfxPassword))
    $script:PemPath = Join-Path $AppFolder 'app.pem'
    Set-Content -Path $PemPath -Value ($AppCertificate.ExportCertificatePem() + "`n" +
        [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($AppCertificate).ExportPkcs8PrivateKeyPem())
    Set-Content -Path (Join-Path $AppFolder 'app-public.pem') -Value $AppCertificate.ExportCertificatePem()

    $script:GoogleUser = 'robot@example.com'
    $script:GoogleKey = Join-Path $TestDrive 'google-key.json'
    $port = Get-FreeTcpPort
    $googlePublic = New-TestGoogleServiceAccountKey -Path $GoogleKey -TokenUri "https://127.0.0.1:$port/google/token"

    $script:Cloud = Start-TestCloudServer -Port $port -Config @{
        entra            = @{ tenant = $Tenant; clients = @(
                @{ client_id = $SecretApp; secret = $Secret }
                @{ client_id = $CertificateApp; certificate = (Join-Path $AppFolder 'app-public.pem') }) }
        managed_identity = @{ header = $IdentityHeader; system_client_id = '44444444-4444-4444-4444-444444444444'; client_ids = @($UserAssigned) }
        google           = @{ client_email = 'mailer@test-project.iam.gserviceaccount.com'; public_key = $googlePublic; users = @($GoogleUser) }
        graph            = @{ denied = @('ceo@contoso.com') }
    }
    $script:Entra = @{ TenantId = $Tenant; AuthorityHost = $Cloud.Url; GraphEndpoint = $Cloud.Url }
    $script:Message = @{ From = 'robot@contoso.com'; To = 'jane@contoso.com'; Subject = 'Token test'; Body = 'Hello.' }

    function Get-TokenGrant { param([string] $Grant) @(Get-TestCloudEvent $Cloud -Event token | Where-Object grant -eq $Grant) }
}

AfterAll {
    $script:Cloud | Stop-TestCloudServer
}

Describe 'Entra ID app tokens' {
    It 'sends through Graph with a client secret, asking for the Graph .default scope once and reusing the cached token' {
        $before = (Get-TokenGrant secret).Count
        $graph = New-MailBackend -Graph @Entra -ClientId $SecretApp -ClientSecret $SecureSecret
        $results = 1..3 | ForEach-Object { Send-CompositeMail -Backend $graph @Message }

        $results.Succeeded | Should -Be $true, $true, $true
        $grants = @(Get-TokenGrant secret)
        $grants.Count - $before | Should -Be 1
        $grants[-1].scope | Should -Be 'https://graph.microsoft.com/.default'
        $grants[-1].client_id | Should -Be $SecretApp
    }

    It 'signs in with the certificate <Name>, the assertion checked against the app certificate' -ForEach @(
        @{ Name = 'object'; Parameters = { @{ ClientCertificate = $AppCertificate } } }
        @{ Name = 'PFX file with its password'; Parameters = { @{ ClientCertificatePath = $PfxPath; ClientCertificatePassword = (ConvertTo-SecureString $PfxPassword -AsPlainText -Force) } } }
        @{ Name = 'PEM file with its key'; Parameters = { @{ ClientCertificatePath = $PemPath } } }
    ) {
        $before = (Get-TokenGrant certificate).Count
        $certificateParameters = & $Parameters
        $graph = New-MailBackend -Graph @Entra -ClientId $CertificateApp @certificateParameters
        $result = Send-CompositeMail -Backend $graph @Message -Subject "Certificate $Name"

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        (Get-TokenGrant certificate).Count - $before | Should -Be 1
        (Get-TestCloudMessage $Cloud)[-1].Message.Subject | Should -Be "Certificate $Name"
    }

    It 'finds the certificate in the store by its thumbprint' {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        $stored = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($AppCertificate.Export('Pfx'), [string]$null, 'PersistKeySet')
        $store.Add($stored)
        try {
            $graph = New-MailBackend -Graph @Entra -ClientId $CertificateApp -ClientCertificateThumbprint $AppCertificate.Thumbprint
            (Send-CompositeMail -Backend $graph @Message).Succeeded | Should -BeTrue
        }
        finally {
            $store.Remove($stored)
            $store.Dispose()
        }
    }

    It 'refuses a certificate the app does not know, naming the certificate setting' {
        $stranger = New-TestRsaCertificate -Subject 'CN=someone else'
        $graph = New-MailBackend -Graph @Entra -ClientId $CertificateApp -ClientCertificate $stranger
        $result = Send-CompositeMail -Backend $graph @Message -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'AADSTS700027'
        $result.Results[0].Error | Should -Match 'ClientCertificate'
        $failures[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'names -TenantId for an unknown tenant and -ClientId for an unknown app' {
        $tenantResult = Send-CompositeMail -Backend (New-MailBackend -Graph @Entra -TenantId nowhere.example -ClientId $SecretApp -ClientSecret $SecureSecret) @Message -ErrorAction SilentlyContinue
        $tenantResult.Results[0].Error | Should -Match 'AADSTS90002.*|-TenantId nowhere\.example'
        $tenantResult.Results[0].Error | Should -Match '-TenantId'
        $appResult = Send-CompositeMail -Backend (New-MailBackend -Graph @Entra -ClientId 99999999-9999-9999-9999-999999999999 -ClientSecret $SecureSecret) @Message -ErrorAction SilentlyContinue
        $appResult.Results[0].Error | Should -Match 'AADSTS700016'
        $appResult.Results[0].Error | Should -Match '-ClientId'
    }
}

Describe 'A wrong client secret' {
    BeforeAll {
        $script:WrongSecret = 'Wr0ng~Secret.Value-' + [guid]::NewGuid().ToString('N')
        $script:Spool = Join-Path $TestDrive 'spool'
        $script:Log = Join-Path $TestDrive 'wrong-secret.log'
        $script:SentBefore = @(Get-TestCloudMessage $Cloud).Count
        $script:GraphCallsBefore = @(Get-TestCloudEvent $Cloud | Where-Object { $_.path -like '/v1.0/*' }).Count
        $script:Wrong = New-MailBackend -Graph @Entra -ClientId $SecretApp -ClientSecret (ConvertTo-SecureString $WrongSecret -AsPlainText -Force) -Name wrong
        $smtpFolder = Join-Path $TestDrive 'wrong-smtp'
        $smtpCertificate = New-TestCertificate -Folder $smtpFolder
        $script:WrongSmtpServer = Start-TestSmtpServer -Mode starttls -CertificateFolder $smtpFolder -OAuthUser robot@contoso.com `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com'
        $script:WrongSmtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $WrongSmtpServer.Port -CertificateThumbprint $smtpCertificate.Thumbprint `
            -UserName robot@contoso.com -TenantId $Tenant -AuthorityHost $Cloud.Url -RetryIntervalSec 0 -Name wrong-smtp `
            -ClientId $SecretApp -ClientSecret (ConvertTo-SecureString $WrongSecret -AsPlainText -Force) -ProtocolLog $Log
        $script:Output = & {
            Send-CompositeMail -Backend $Wrong @Message -SpoolDirectory $Spool -Verbose -ErrorAction Continue
            Send-CompositeMail -Backend $WrongSmtp @Message -SpoolDirectory $Spool -Verbose -ErrorAction Continue
            Test-MailBackend -Backend $Wrong, $WrongSmtp -Verbose
            $Wrong, $WrongSmtp | Format-List * | Out-String
        } *>&1 | ForEach-Object { $_; if ($_ -is [System.Management.Automation.ErrorRecord]) { $_ | Format-List * -Force | Out-String } }
        $script:SendErrors = @($Output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    }
    AfterAll { $script:WrongSmtpServer | Stop-TestSmtpServer }

    It 'sends nothing and fails Test-MailBackend with the advice about the secret' {
        @(Get-TestCloudMessage $Cloud).Count | Should -Be $SentBefore
        @(Get-TestCloudEvent $Cloud | Where-Object { $_.path -like '/v1.0/*' }).Count | Should -Be $GraphCallsBefore
        Get-TestSmtpMessage $WrongSmtpServer | Should -BeNullOrEmpty
        $tests = @($Output | Where-Object { $_ -is [PSCompositeMail.Results.BackendTestResult] })
        $tests.Count | Should -Be 2
        foreach ($test in $tests) {
            $test.Succeeded | Should -BeFalse
            $test.Error | Should -Match 'AADSTS7000215'
            $test.Error | Should -Match 'ClientSecret'
            $test.Authenticated | Should -BeOfType [bool]
            $test.Authenticated | Should -BeFalse
        }
        $SendErrors.Count | Should -Be 2
        $SendErrors.CategoryInfo.Category | Select-Object -Unique | Should -Be 'AuthenticationError'
    }

    It 'shows the secret in no stream, result, error, spool file or log' {
        $text = ($Output | ForEach-Object { $_; if ($_ -isnot [string]) { $_ | Format-List * -Force | Out-String; $_.Results | Format-List * -Force | Out-String } } | Out-String)
        $text | Should -Match 'AADSTS7000215'
        $text | Should -Not -Match ([regex]::Escape($WrongSecret))
        $text | Should -Not -Match ([regex]::Escape($Secret))
        Get-ChildItem $Spool -Recurse -File | Should -Not -BeNullOrEmpty
        foreach ($file in Get-ChildItem $Spool -Recurse -File) {
            [IO.File]::ReadAllText($file.FullName) | Should -Not -Match ([regex]::Escape($WrongSecret))
        }
        $Log | Should -Exist
        Get-Content $Log -Raw | Should -Match 'EHLO'
        Get-Content $Log -Raw | Should -Not -Match ([regex]::Escape($WrongSecret))
    }
}

Describe 'Managed identity' {
    BeforeAll {
        $script:SavedEndpoint = $env:IDENTITY_ENDPOINT
        $script:SavedHeader = $env:IDENTITY_HEADER
        # App Service and Azure Automation offer their identity endpoint through these two variables; here they point
        # at the local stand-in on 127.0.0.1 (never the instance metadata address).
        $env:IDENTITY_ENDPOINT = "$($Cloud.Url)/msi/token"
        $env:IDENTITY_HEADER = $IdentityHeader
    }
    AfterAll {
        $env:IDENTITY_ENDPOINT = $SavedEndpoint
        $env:IDENTITY_HEADER = $SavedHeader
    }

    It 'gets a Graph token for the <Kind> identity and sends' -ForEach @(
        @{ Kind = 'system-assigned'; Extra = @{} ; UserAssigned = $false }
        @{ Kind = 'user-assigned'; Extra = @{ ManagedIdentityClientId = '33333333-3333-3333-3333-333333333333' }; UserAssigned = $true }
    ) {
        $graph = New-MailBackend -Graph -ManagedIdentity @Extra -GraphEndpoint $Cloud.Url -Name "mi-$Kind"
        $result = Send-CompositeMail -Backend $graph @Message -Subject "Managed identity $Kind"
        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        $grant = @(Get-TokenGrant managed-identity)[-1]
        $grant.resource | Should -Be 'https://graph.microsoft.com'
        $grant.user_assigned | Should -Be $UserAssigned
    }

    It 'explains an identity that is not assigned' {
        $graph = New-MailBackend -Graph -ManagedIdentity -ManagedIdentityClientId 55555555-5555-5555-5555-555555555555 -GraphEndpoint $Cloud.Url
        $result = Send-CompositeMail -Backend $graph @Message -ErrorAction SilentlyContinue
        $result.Results[0].Error | Should -Match 'managed identity'
        $result.Results[0].Error | Should -Match 'ManagedIdentityClientId'
    }
}

Describe 'SMTP XOAUTH2 with app tokens' {
    BeforeAll {
        $script:CertFolder = Join-Path $TestDrive 'smtp-cert'
        $script:SmtpCertificate = New-TestCertificate -Folder $CertFolder
        $script:Exchange = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -OAuthUser 'robot@contoso.com' `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com' -OAuthRefuseFirst 1
        $script:Gmail = Start-TestSmtpServer -Mode starttls -CertificateFolder $CertFolder -OAuthUser $GoogleUser `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://mail.google.com/'
    }
    AfterAll {
        $script:Exchange, $script:Gmail | Stop-TestSmtpServer
    }

    It 'authenticates to Exchange with a token for outlook.office365.com, and after a refused token fetches a fresh one' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Exchange.Port -CertificateThumbprint $SmtpCertificate.Thumbprint `
            -UserName robot@contoso.com -TenantId $Tenant -AuthorityHost $Cloud.Url -ClientId $SecretApp -ClientSecret $SecureSecret
        $smtp.Authentication | Should -Be 'XOAUTH2'
        $result = Send-CompositeMail -Backend $smtp @Message -Subject 'Exchange XOAUTH2'

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        (Get-TestSmtpEvent $Exchange -Event auth).success | Should -Be $false, $true
        @(Get-TestSmtpMessage $Exchange)[-1].Message.Subject | Should -Be 'Exchange XOAUTH2'
        @(Get-TokenGrant secret | Where-Object scope -eq 'https://outlook.office365.com/.default').Count | Should -BeGreaterOrEqual 2
    }

    It 'sends to Gmail as the delegated user with a Google service account' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint `
            -UserName $GoogleUser -GoogleServiceAccountKey $GoogleKey
        $result = Send-CompositeMail -Backend $smtp -From $GoogleUser -To 'jane@example.com' -Subject 'Gmail XOAUTH2' -Body 'b'

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        $grant = @(Get-TokenGrant google)[-1]
        $grant.sub | Should -Be $GoogleUser
        $grant.scope | Should -Be 'https://mail.google.com/'
        @(Get-TestSmtpMessage $Gmail)[-1].Message.Subject | Should -Be 'Gmail XOAUTH2'
    }

    It 'posts no assertion to a Google key file whose token_uri is http://, and says so naming the key file' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $plainKey = Join-Path $TestDrive 'google-plain-key.json'
            $null = New-TestGoogleServiceAccountKey -Path $plainKey -TokenUri "http://127.0.0.1:$($listener.LocalEndpoint.Port)/google/token"
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint -UserName $GoogleUser -GoogleServiceAccountKey $plainKey
            $result = Send-CompositeMail -Backend $smtp -From $GoogleUser -To 'jane@example.com' -Subject 'x' -Body 'b' -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match ([regex]::Escape($plainKey))
            $result.Results[0].Error | Should -Match 'token_uri.*http://127\.0\.0\.1.*not an https URL'
            $test = Test-MailBackend -Backend $smtp
            $test.Succeeded | Should -BeFalse
            $test.Error | Should -Match 'token_uri'
            $listener.Pending() | Should -BeFalse -Because 'nothing may reach a plain-http token endpoint'
        }
        finally { $listener.Stop() }
    }

    It 'makes an empty <Status> from Google''s token endpoint that message''s failure, and goes on with the next' -ForEach @(
        @{ Status = 503; Says = 'answered 503.*unavailable' }
        @{ Status = 401; Says = 'answered 401' }
    ) {
        $port = Get-FreeTcpPort
        $downKey = Join-Path $TestDrive "google-down-$Status.json"
        $downPublic = New-TestGoogleServiceAccountKey -Path $downKey -TokenUri "https://127.0.0.1:$port/google/token"
        $down = Start-TestCloudServer -Port $port -Config @{
            google = @{ client_email = 'mailer@test-project.iam.gserviceaccount.com'; public_key = $downPublic; users = @($GoogleUser) }
            outage = @{ google = $Status }
        }
        try {
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint `
                -UserName $GoogleUser -GoogleServiceAccountKey $downKey
            $results = 1..2 | ForEach-Object { @{ From = $GoogleUser; To = 'jane@example.com'; Subject = "Outage $_"; Body = 'b' } } |
                ForEach-Object { [pscustomobject]$_ } | Send-CompositeMail -Backend $smtp -ErrorVariable failures -ErrorAction SilentlyContinue
            @($results).Count | Should -Be 2
            @($results).Succeeded | Should -Be $false, $false
            $results[0].Results[0].Error | Should -Match $Says
            $results[0].Results[0].Error | Should -Not -Match 'Internal error|a bug'
            @($failures).FullyQualifiedErrorId | Should -Not -Match 'Internal'
            @(Get-TestCloudEvent $down -Event token-outage).Count | Should -BeGreaterOrEqual 2
        }
        finally { $down | Stop-TestCloudServer }
    }

    It 'reports a user the service account may not act as' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Gmail.Port -CertificateThumbprint $SmtpCertificate.Thumbprint `
            -UserName 'stranger@example.com' -GoogleServiceAccountKey $GoogleKey
        $result = Send-CompositeMail -Backend $smtp -From 'stranger@example.com' -To 'jane@example.com' -Subject 'x' -Body 'b' -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'domain-wide delegation'
    }
}

Describe 'Exchange Online refusing a password' {
    It 'explains the retirement of basic authentication (<Reply>) and shows the token parameters' -ForEach @(
        @{ Reply = '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.' }
        @{ Reply = '550 5.7.30 Basic authentication is not supported for Client Submission.' }
    ) {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $certificate = New-TestCertificate -Folder $folder
        $server = Start-TestSmtpServer -Mode starttls -CertificateFolder $folder -User robot@contoso.com -Password 'old-password' -PasswordAuthReply $Reply
        try {
            $credential = [pscredential]::new('robot@contoso.com', (ConvertTo-SecureString 'old-password' -AsPlainText -Force))
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -CertificateThumbprint $certificate.Thumbprint -Credential $credential -RetryIntervalSec 0
            $result = Send-CompositeMail -Backend $smtp @Message -ErrorVariable failures -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match 'retired basic authentication'
            $result.Results[0].Error | Should -Match '-TenantId .* -ClientId .* -ClientSecret'
            $result.Results[0].Error | Should -Match ([regex]::Escape($Reply.Substring(4, 7)))
            $result.Results[0].Error | Should -Not -Match 'old-password'
            $failures[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
            $test = Test-MailBackend -Backend $smtp
            $test.Succeeded | Should -BeFalse
            $test.Authenticated | Should -BeOfType [bool] -Because 'a refused password is a clear no, not an unknown'
            $test.Authenticated | Should -BeFalse
        }
        finally { $server | Stop-TestSmtpServer }
    }
}

Describe 'Exchange Online refusing a From address' {
    It 'explains 5.7.60 SendAsDenied: the mailbox may only send as itself unless granted Send As' {
        $server = Start-TestSmtpServer -Mode plain -User robot@contoso.com -Password 'pw' -MailReply '550 5.7.60 SMTP; Client does not have permissions to send as this sender'
        try {
            $credential = [pscredential]::new('robot@contoso.com', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -Credential $credential -RetryIntervalSec 0
            $result = Send-CompositeMail -Backend $smtp @Message -From boss@contoso.com -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match '5\.7\.60'
            $result.Results[0].Error | Should -Match 'Add-RecipientPermission'
            $result.Results[0].Error | Should -Match 'robot@contoso\.com'
        }
        finally { $server | Stop-TestSmtpServer }
    }
}

Describe 'Where tokens are fetched' {
    It 'New-MailBackend and -WhatIf reach no network' {
        $before = @(Get-TestCloudEvent $Cloud).Count
        $graph = New-MailBackend -Graph @Entra -ClientId $SecretApp -ClientSecret $SecureSecret
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port 1 -UserName robot@contoso.com -TenantId $Tenant -AuthorityHost $Cloud.Url -ClientId $SecretApp -ClientSecret $SecureSecret
        $result = Send-CompositeMail -Backend $graph, $smtp @Message -WhatIf
        $result | Should -BeNullOrEmpty
        @(Get-TestCloudEvent $Cloud).Count | Should -Be $before
    }

    It 'refuses an HTTPS endpoint whose certificate no trusted authority issued' {
        $untrustedAuthority = New-TestCertificateAuthority -Folder (Join-Path $TestDrive 'other-ca') -Name 'Untrusted CA'
        $rogue = Start-TestCloudServer -Authority $untrustedAuthority -Config @{ entra = @{ tenant = $Tenant; clients = @(@{ client_id = $SecretApp; secret = $Secret }) } }
        try {
            $graph = New-MailBackend -Graph -TenantId $Tenant -AuthorityHost $rogue.Url -GraphEndpoint $rogue.Url -ClientId $SecretApp -ClientSecret $SecureSecret
            $result = Send-CompositeMail -Backend $graph @Message -ErrorVariable failures -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match 'not trusted'
            $failures[0].CategoryInfo.Category | Should -Be 'SecurityError'
            Get-TestCloudEvent $rogue -Event token | Should -BeNullOrEmpty
        }
        finally { $rogue | Stop-TestCloudServer }
    }

    It 'refuses an http:// <Setting> at New-MailBackend and in a profile, naming the setting' -ForEach @(
        @{ Setting = 'GraphEndpoint' }
        @{ Setting = 'AuthorityHost' }
    ) {
        $plain = @{ $Setting = 'http://127.0.0.1:9/' }
        $secure = @{ GraphEndpoint = $Cloud.Url; AuthorityHost = $Cloud.Url }
        $secure.Remove($Setting)
        { New-MailBackend -Graph -TenantId $Tenant -ClientId $SecretApp -ClientSecret $SecureSecret @secure @plain } |
            Should -Throw -ErrorId "Invalid$Setting,PSCompositeMail.Commands.NewMailBackendCommand" -ExpectedMessage "*$Setting*not an https URL*"
        $profilePath = Join-Path $TestDrive "plain-$Setting.psd1"
        Set-Content $profilePath "@{ Production = @{ Backends = @( @{ Type = 'Graph'; TenantId = '$Tenant'; ClientId = '$SecretApp'; ClientSecretEnv = 'PSCM_TEST_PLAIN_SECRET'; $Setting = 'http://127.0.0.1:9/' } ) } }"
        $env:PSCM_TEST_PLAIN_SECRET = $Secret
        try { { Import-MailBackend -Path $profilePath -Environment Production } | Should -Throw -ExpectedMessage "*$Setting*not an https URL*" }
        finally { Remove-Item Env:PSCM_TEST_PLAIN_SECRET }
    }

    It 'needs one way of getting tokens, with what it takes' {
        { New-MailBackend -Graph -TenantId $Tenant -ClientId $SecretApp } | Should -Throw -ErrorId 'InvalidTokenParameters,PSCompositeMail.Commands.NewMailBackendCommand'
        { New-MailBackend -Graph -ClientId $SecretApp -ClientSecret $SecureSecret } | Should -Throw -ErrorId 'InvalidTokenParameters,PSCompositeMail.Commands.NewMailBackendCommand'
        { New-MailBackend -Graph -ManagedIdentity -ClientId $SecretApp -ClientSecret $SecureSecret -TenantId $Tenant } | Should -Throw -ErrorId 'InvalidTokenParameters,PSCompositeMail.Commands.NewMailBackendCommand'
        { New-MailBackend -Smtp -SmtpServer smtp.office365.com -TenantId $Tenant -ClientId $SecretApp -ClientSecret $SecureSecret } | Should -Throw -ErrorId 'AppTokensNeedUserName,PSCompositeMail.Commands.NewMailBackendCommand'
        { New-MailBackend -Graph } | Should -Throw -ErrorId 'GraphNeedsTokens,PSCompositeMail.Commands.NewMailBackendCommand'
    }
}

Describe 'App tokens in the Send-MailMessage form (no -Backend)' {
    BeforeAll {
        $folder = Join-Path $TestDrive 'dropin-smtp'
        $script:DropInCertificate = New-TestCertificate -Folder $folder
        $script:DropInServer = Start-TestSmtpServer -Mode starttls -CertificateFolder $folder -OAuthUser robot@contoso.com `
            -OAuthIssuerKey $Cloud.IssuerPublicKey -OAuthAudience 'https://outlook.office365.com'
    }
    AfterAll { $script:DropInServer | Stop-TestSmtpServer }

    It 'sends over SMTP with a client secret given to Send-CompositeMail itself (issue 14)' {
        $result = Send-CompositeMail @Message -SmtpServer 127.0.0.1 -Port $DropInServer.Port -UseSsl -CertificateThumbprint $DropInCertificate.Thumbprint `
            -UserName robot@contoso.com -TenantId $Tenant -AuthorityHost $Cloud.Url -ClientId $SecretApp -ClientSecret $SecureSecret -PassThru

        $result.Succeeded | Should -BeTrue
        @(Get-TestSmtpMessage $DropInServer).Count | Should -Be 1
        (Get-TokenGrant secret)[-1].scope | Should -Be 'https://outlook.office365.com/.default'
    }
}
