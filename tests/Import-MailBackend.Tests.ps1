BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Profile = Join-Path $TestDrive 'mail.psd1'
    Set-Content $script:Profile @'
@{
    Development = @{ Backends = @( @{ Type = 'Console' }, @{ Type = 'Directory'; Path = './outbox' } ) }
    Production  = @{
        Policy   = 'Failover'
        Backends = @(
            @{ Type = 'Smtp'; Name = 'primary'; SmtpServer = 'relay1.example.com'; Credential = @{ UserNameEnv = 'PSCM_TEST_USER'; PasswordEnv = 'PSCM_TEST_PASSWORD' } }
            @{ Type = 'Smtp'; Name = 'backup';  SmtpServer = 'relay2.example.com'; Port = 2525; Security = 'SslOnConnect'; CredentialFile = './relay.clixml' }
        )
    }
    Nested = @{ Backends = @( @{ Type = 'Composite'; Name = 'both'; Policy = 'Any'; Backends = @( @{ Type = 'Null' }, @{ Type = 'Memory'; Name = 'kept' } ) } ) }
}
'@
    [pscredential]::new('backup-user', (ConvertTo-SecureString 'from-clixml' -AsPlainText -Force)) | Export-Clixml (Join-Path $TestDrive 'relay.clixml')

    function Set-BadProfile([string] $Content) {
        $path = Join-Path $TestDrive ("bad-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.psd1')
        Set-Content $path $Content
        $path
    }
}

AfterAll {
    Remove-Item Env:PSCM_TEST_USER, Env:PSCM_TEST_PASSWORD, Env:PSCM_TEST_TOKEN, Env:PSCOMPOSITEMAIL_ENVIRONMENT -ErrorAction Ignore
}

Describe 'Import-MailBackend' {
    It 'builds the backends of one environment, paths relative to the file' {
        $backends = Import-MailBackend -Path $Profile -Environment Development
        $backends.Kind | Should -Be 'Console', 'Directory'
        $backends[1].Path | Should -Be (Join-Path $TestDrive 'outbox')
    }

    It 'makes an environment with a Policy one composite, with credentials from variables and a Clixml file' {
        $env:PSCM_TEST_USER = 'relay-user'
        $env:PSCM_TEST_PASSWORD = 'from-environment'
        $production = Import-MailBackend $Profile -Environment Production
        $production.Kind | Should -Be 'Composite'
        $production.Name | Should -Be 'Production'
        $production.Policy | Should -Be 'Failover'
        $production.Backends.Name | Should -Be 'primary', 'backup'
        $production.Backends.UserName | Should -Be 'relay-user', 'backup-user'
        $production.Backends[1].Port | Should -Be 2525
        $production.Backends[1].Security | Should -Be 'SslOnConnect'
        ($production | Format-List * | Out-String) | Should -Not -Match 'from-environment|from-clixml'
    }

    It 'takes the environment from PSCOMPOSITEMAIL_ENVIRONMENT' {
        $env:PSCOMPOSITEMAIL_ENVIRONMENT = 'Nested'
        try {
            $nested = Import-MailBackend $Profile
            $nested.Kind | Should -Be 'Composite'
            $nested.Backends.Name | Should -Be 'null', 'kept'
        }
        finally { Remove-Item Env:PSCOMPOSITEMAIL_ENVIRONMENT }
    }

    It 'names the file, the environment and the key when <Case>' -ForEach @(
        @{ Case = 'the environment is unknown'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Null' }) } }"; Environment = 'Prod'; Expected = "environment 'Prod': there is no such environment; the file has Dev" }
        @{ Case = 'an environment key is unknown'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Null' }); Polcy = 'Any' } }"; Environment = 'Dev'; Expected = "environment 'Dev', key 'Polcy': an environment has no such key; expected one of Backends, Policy, Name" }
        @{ Case = 'a key is unknown'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Pasword = 'oops' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Pasword': a Smtp backend has no such key; expected one of Type, .*SmtpServer" }
        @{ Case = 'a secret stands in the file'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Credential = 'user:password' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Credential': a credential is never written in the file" }
        @{ Case = 'a secret variable is missing'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Credential = @{ UserNameEnv = 'PSCM_NOT_SET_U'; PasswordEnv = 'PSCM_NOT_SET_P' } }) } }"; Environment = 'Dev'; Expected = "the environment variable 'PSCM_NOT_SET_U' is not set" }
        @{ Case = 'a value is bad'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Port = 'many' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Port': Cannot convert value ""many"" to type ""System.Int32""" }
        @{ Case = 'a value is out of range'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Port = 70000 }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Port': '70000' is not a valid Port: it must be from 1 to 65535" }
        @{ Case = 'a value breaks a pattern'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; CertificateThumbprint = 'abc' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.CertificateThumbprint': 'abc' is not a valid CertificateThumbprint" }
        @{ Case = 'a policy is unknown'; Content = "@{ Dev = @{ Policy = 'Sometimes'; Backends = @(@{ Type = 'Null' }) } }"; Environment = 'Dev'; Expected = "key 'Policy': Cannot convert value ""Sometimes""" }
        @{ Case = 'a mandatory key is missing'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; Port = 25 }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.SmtpServer': a Smtp backend needs SmtpServer" }
        @{ Case = 'a Directory has no Path'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Directory' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Path': a Directory backend needs Path" }
        @{ Case = 'the switch itself stands as a key'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Directory'; Directory = './out' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Directory': a Directory backend has no such key; expected one of Type, DkimDomain, DkimPrivateKeyEnv, DkimPrivateKeyPath, DkimSelector, Name, Path" }
        @{ Case = 'two keys give one credential'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; CredentialFile = './relay.clixml'; Credential = @{ UserNameEnv = 'PSCM_TEST_USER'; PasswordEnv = 'PSCM_TEST_PASSWORD' } }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.(Credential|CredentialFile)': (Credential|CredentialFile) gives the Credential already" }
        @{ Case = 'a token has no user'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; OAuthTokenEnv = 'PSCM_TEST_TOKEN' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.OAuthTokenEnv': An OAuth token goes with a UserName" }
        @{ Case = 'a nested composite is empty'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Composite'; Backends = @() }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Backends': .* is not a valid Backend" }
        @{ Case = 'the type is unknown'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Pigeon' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Type': 'Pigeon' is not a backend type" }
        @{ Case = 'the file runs code'; Content = "@{ Dev = @{ Backends = @(@{ Type = (Get-Date) }) } }"; Environment = 'Dev'; Expected = 'only constant values' }
    ) {
        $env:PSCM_TEST_USER = 'relay-user'
        $env:PSCM_TEST_PASSWORD = 'from-environment'
        $env:PSCM_TEST_TOKEN = 'token-from-environment'
        $file = Set-BadProfile $Content
        { Import-MailBackend $file -Environment $Environment } | Should -Throw -ErrorId 'InvalidMailProfile,PSCompositeMail.Commands.ImportMailBackendCommand'
        try { Import-MailBackend $file -Environment $Environment } catch { $message = $_.Exception.Message }
        $message | Should -Match ([regex]::Escape("Mail profile '$file'"))
        $message | Should -Match $Expected
    }

    It 'says how to choose an environment when none is given' {
        { Import-MailBackend $Profile } | Should -Throw '*no environment was chosen: give -Environment, or set the PSCOMPOSITEMAIL_ENVIRONMENT*'
    }
}

BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    # A data file holds constants only, so it cannot describe a script block backend; every other switch is a Type.
    $NotInProfiles = 'ScriptBlock'
    $ProfileTypes = (Get-Command New-MailBackend).ParameterSets.Name | Where-Object { $_ -notin $NotInProfiles }
}

Describe 'Profile entries and New-MailBackend' {
    BeforeAll {
        # The keys an entry of a type takes, as the error for an unknown key lists them.
        function Get-ProfileKey([string] $Type) {
            $file = Set-BadProfile "@{ Dev = @{ Backends = @(@{ Type = '$Type'; NoSuchKey = 1 }) } }"
            try { Import-MailBackend $file -Environment Dev; throw 'an unknown key was accepted' }
            catch { $message = $_.Exception.Message }
            $message | Should -Match 'expected one of (.+)$'
            [regex]::Match($message, 'expected one of (.+)$').Groups[1].Value -split ', '
        }

        $script:NewMailBackend = Get-Command New-MailBackend
        $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

        # Where a profile deliberately differs from New-MailBackend (MailProfile.cs, ProfileOnlyKeys). Anything else
        # that differs is drift: a parameter added to one and not the other.
        $script:Deliberate = @{
            # Secrets never stand in the file: Credential is @{ UserNameEnv; PasswordEnv } or CredentialFile (an
            # Export-Clixml file), and the token is OAuthTokenEnv (the name of a variable), not -OAuthToken itself.
            # A DKIM key's PEM text is DkimPrivateKeyEnv (a variable), not -DkimPrivateKey itself.
            # So are an app's client secret and certificate password: ClientSecretEnv and ClientCertificatePasswordEnv.
            Smtp          = @{ Instead = @{ OAuthToken = 'OAuthTokenEnv'; DkimPrivateKey = 'DkimPrivateKeyEnv'; ClientSecret = 'ClientSecretEnv'; ClientCertificatePassword = 'ClientCertificatePasswordEnv' }; Also = 'CredentialFile' }
            Graph         = @{ Instead = @{ ClientSecret = 'ClientSecretEnv'; ClientCertificatePassword = 'ClientCertificatePasswordEnv' } }
            # On the command line the switch itself takes the folder; a profile names it Path.
            Directory     = @{ Instead = @{ Directory = 'Path'; DkimPrivateKey = 'DkimPrivateKeyEnv' } }
            # A composite's members are entries of their own, listed as Backends.
            Composite     = @{ Instead = @{ Backend = 'Backends' } }
        }
    }

    It 'knows every New-MailBackend switch as a Type, but ScriptBlock' -ForEach @{ NotInProfiles = $NotInProfiles } {
        $file = Set-BadProfile "@{ Dev = @{ Backends = @(@{ Type = 'Pigeon' }) } }"
        try { Import-MailBackend $file -Environment Dev } catch { $message = $_.Exception.Message }
        $message | Should -Match 'expected one of (.+)$'
        $types = [regex]::Match($message, 'expected one of (.+)$').Groups[1].Value -split ', '
        $expected = $NewMailBackend.ParameterSets.Name | Where-Object { $_ -notin $NotInProfiles }
        $types | Sort-Object | Should -Be ($expected | Sort-Object)
    }

    It 'takes as keys of a <_> entry exactly the parameters of New-MailBackend -<_>, but the deliberate differences' -ForEach $ProfileTypes {
        $set = $NewMailBackend.ParameterSets | Where-Object Name -EQ $_
        $set | Should -Not -BeNullOrEmpty -Because "New-MailBackend has a -$_ switch"
        $deliberate = $Deliberate[$_]
        # The switch that chooses the kind is the entry's Type; -Directory and -ScriptBlock carry a value and are parameters too.
        $parameters = $set.Parameters | Where-Object { $_.Name -notin $Common -and -not ($_.Name -eq $set.Name -and $_.ParameterType -eq [switch]) }
        $expected = @('Type') + @($parameters.Name | ForEach-Object {
                if ($deliberate -and $deliberate.Instead -and $deliberate.Instead.ContainsKey($_)) { $deliberate.Instead[$_] } else { $_ }
            }) + @(if ($deliberate) { $deliberate.Also })
        Get-ProfileKey $_ | Sort-Object | Should -Be ($expected | Where-Object { $_ } | Sort-Object)
    }

    It 'makes from an entry the backend New-MailBackend makes from the same parameters' {
        $env:PSCM_TEST_TOKEN = 'token-from-environment'
        $file = Set-BadProfile @"
@{ Dev = @{ Backends = @(
    @{ Type = 'Smtp'; Name = 'relay'; SmtpServer = 'relay.example.com'; Port = '2525'; Security = 'StartTlsWhenAvailable'; UserName = 'robot@example.com'; OAuthTokenEnv = 'PSCM_TEST_TOKEN'; TimeoutSec = 7; RetryCount = 4; RetryIntervalSec = 0.5; MaxMessagesPerConnection = 9; LocalDomain = 'client.example.com'; CertificateThumbprint = '$('ab' * 20)'; ProtocolLog = './smtp.log' }
    @{ Type = 'Console'; Format = 'Summary'; Stream = 'Verbose' }
) } }
"@
        $fromProfile = Import-MailBackend $file -Environment Dev
        $fromCommandLine = @(
            New-MailBackend -Smtp -Name relay -SmtpServer relay.example.com -Port 2525 -Security StartTlsWhenAvailable -UserName robot@example.com `
                -OAuthToken (ConvertTo-SecureString 'token-from-environment' -AsPlainText -Force) -TimeoutSec 7 -RetryCount 4 -RetryIntervalSec 0.5 `
                -MaxMessagesPerConnection 9 -LocalDomain client.example.com -CertificateThumbprint ('ab' * 20) -ProtocolLog (Join-Path $TestDrive 'smtp.log')
            New-MailBackend -Console -Format Summary -Stream Verbose
        )
        $fromProfile[0].Authentication | Should -Be 'XOAUTH2'
        $fromProfile[0].Timeout | Should -Be ([timespan]::FromSeconds(7))
        $fromProfile[1].Format | Should -Be 'Summary'
        for ($i = 0; $i -lt 2; $i++) {
            ($fromProfile[$i] | Format-List * | Out-String) | Should -Be ($fromCommandLine[$i] | Format-List * | Out-String)
        }
    }

    It 'warns as New-MailBackend does' {
        $file = Set-BadProfile "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'relay.example.com'; SkipCertificateCheck = `$true }) } }"
        $backend = Import-MailBackend $file -Environment Dev -WarningVariable warned -WarningAction SilentlyContinue
        $backend.SmtpServer | Should -Be 'relay.example.com'
        $warned | Should -Match 'Certificate checks are off for relay.example.com'
    }
}
