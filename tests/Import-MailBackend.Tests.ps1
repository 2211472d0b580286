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
    Remove-Item Env:PSCM_TEST_USER, Env:PSCM_TEST_PASSWORD, Env:PSCOMPOSITEMAIL_ENVIRONMENT -ErrorAction Ignore
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
        @{ Case = 'a value is bad'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Smtp'; SmtpServer = 'x'; Port = 'many' }) } }"; Environment = 'Dev'; Expected = "key 'Smtp\.Port'" }
        @{ Case = 'the type is unknown'; Content = "@{ Dev = @{ Backends = @(@{ Type = 'Pigeon' }) } }"; Environment = 'Dev'; Expected = "key 'Backends\[0\]\.Type': 'Pigeon' is not a backend type" }
        @{ Case = 'the file runs code'; Content = "@{ Dev = @{ Backends = @(@{ Type = (Get-Date) }) } }"; Environment = 'Dev'; Expected = 'only constant values' }
    ) {
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
