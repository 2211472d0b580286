BeforeAll {
    . $PSScriptRoot/common.ps1
}

Describe 'New-MailBackend' {
    It 'builds a <Kind> backend named after its kind by default' -ForEach @(
        @{ Kind = 'Console'; Arguments = @{ Console = $true } }
        @{ Kind = 'Memory'; Arguments = @{ Memory = $true } }
        @{ Kind = 'Null'; Arguments = @{ Null = $true } }
        @{ Kind = 'ScriptBlock'; Arguments = @{ ScriptBlock = { } } }
        @{ Kind = 'Directory'; Arguments = @{ Directory = 'outbox' } }
    ) {
        $backend = New-MailBackend @Arguments
        $backend.Kind | Should -Be $Kind
        $backend.Name | Should -Be $Kind.ToLowerInvariant()
    }

    It 'takes a name' {
        (New-MailBackend -Null -Name discard).Name | Should -Be 'discard'
    }

    It 'resolves a relative directory against the current location and creates nothing yet' {
        Push-Location $TestDrive
        try {
            $backend = New-MailBackend -Directory 'later'
            $backend.Path | Should -Be (Join-Path $TestDrive 'later')
            Test-Path (Join-Path $TestDrive 'later') | Should -BeFalse
        }
        finally { Pop-Location }
    }

    It 'builds a composite from parameters or from the pipeline' {
        $a = New-MailBackend -Null -Name a
        $b = New-MailBackend -Memory -Name b
        $fromParameter = New-MailBackend -Composite -Backend $a, $b -Policy Failover -Name relays
        $fromPipeline = $a, $b | New-MailBackend -Composite

        $fromParameter.Kind | Should -Be 'Composite'
        $fromParameter.Policy | Should -Be 'Failover'
        $fromParameter.Backends.Name | Should -Be 'a', 'b'
        $fromPipeline.Backends.Name | Should -Be 'a', 'b'
        $fromPipeline.Policy | Should -Be 'All'
    }

    It 'nests composites' {
        $inner = New-MailBackend -Composite -Backend (New-MailBackend -Null) -Name inner
        $outer = New-MailBackend -Composite -Backend $inner, (New-MailBackend -Console) -Name outer
        $outer.Backends[0].Backends[0].Kind | Should -Be 'Null'
    }

    It 'has a table view with Name, Kind and Description' {
        $table = New-MailBackend -Console | Format-Table | Out-String
        $table | Should -Match 'Name\s+Kind\s+Description'
        $table | Should -Match 'console\s+Console\s+Information stream'
    }

    It 'refuses an OAuth token without -UserName or with -Credential, without the token in the error' {
        $token = ConvertTo-SecureString 'token-never-shown' -AsPlainText -Force
        $credential = [pscredential]::new('relay-user', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        foreach ($arguments in @{ OAuthToken = $token }, @{ OAuthToken = $token; UserName = 'robot@example.com'; Credential = $credential }) {
            $failure = $null
            try { New-MailBackend -Smtp -SmtpServer relay.example.com @arguments } catch { $failure = $_ }
            $failure.FullyQualifiedErrorId | Should -Be 'OAuthNeedsUserName,PSCompositeMail.Commands.NewMailBackendCommand'
            $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $failure.TargetObject | Should -Be 'OAuthToken'
        }
    }

    It 'warns once that -Credential with -Security None sends the password in clear, naming the fix' {
        $credential = [pscredential]::new('relay-user', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        $null = New-MailBackend -Smtp -SmtpServer relay.example.com -Security None -Credential $credential -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match 'password for relay\.example\.com in clear text'
        "$warnings" | Should -Match 'Drop -Security None.*-Security StartTls or SslOnConnect'
    }

    It 'warns once that <Given> with -Security None sends the bearer token in clear' -ForEach @(
        @{ Given = '-OAuthToken'; Arguments = @{ OAuthToken = { 'tok' } } }
        @{ Given = 'An app token'; Arguments = @{ TenantId = '11111111-2222-3333-4444-555555555555'; ClientId = '66666666-7777-8888-9999-000000000000'; ClientSecret = (ConvertTo-SecureString 's' -AsPlainText -Force) } }
    ) {
        $null = New-MailBackend -Smtp -SmtpServer relay.example.com -Security None -UserName robot@example.com @Arguments -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match "^$([regex]::Escape($Given)).*bearer token for relay\.example\.com in clear text"
    }

    It 'gives no clear-text warning <Case>' -ForEach @(
        @{ Case = 'without a credential'; Arguments = @{ Security = 'None' } }
        @{ Case = 'with STARTTLS'; Arguments = @{ Security = 'StartTls'; Credential = 'credential' } }
        @{ Case = 'with implicit TLS'; Arguments = @{ Security = 'SslOnConnect'; Credential = 'credential' } }
        @{ Case = 'when -Security is left to its default'; Arguments = @{ Credential = 'credential' } }
        @{ Case = 'for an OAuth token with STARTTLS'; Arguments = @{ Security = 'StartTls'; UserName = 'robot@example.com'; OAuthToken = { 'tok' } } }
    ) {
        if ($Arguments.Credential) { $Arguments.Credential = [pscredential]::new('relay-user', (ConvertTo-SecureString 'p' -AsPlainText -Force)) }
        $null = New-MailBackend -Smtp -SmtpServer relay.example.com @Arguments -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -BeNullOrEmpty
    }

    It 'refuses a policy it does not know' {
        { New-MailBackend -Composite -Backend (New-MailBackend -Null) -Policy Sometimes } |
            Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
    }
}
