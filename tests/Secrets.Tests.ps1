# Issue 20, item 6: a server that echoes the secrets it received (an SMTP server quoting the AUTH data in its 535, a
# managed identity endpoint quoting X-IDENTITY-HEADER) must not get them shown or stored: every text that came from
# outside is redacted before it reaches an error, a result, an exception, the spool, a stream or the protocol log.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/cloud.ps1

    $script:User = 'robot@contoso.com'
    $script:Password = 'Pw-' + [guid]::NewGuid().ToString('N')
    # Entra access tokens run to 1,500-2,500 characters.
    $script:Token = 'eyJ0eXAiOiJKV1Qi.' + (-join (1..24 | ForEach-Object { [guid]::NewGuid().ToString('N') + [guid]::NewGuid().ToString('N') })) + '.sig'
    $script:Mail = @{ From = $User; To = 'jane@contoso.com'; Subject = 'Echo test'; Body = 'Hello.' }

    function ConvertTo-Base64([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)) }

    # Every form a secret took on the wire: the test fails if any of them is found anywhere.
    $script:PasswordForms = @($Password, (ConvertTo-Base64 $Password), (ConvertTo-Base64 "`0$User`0$Password"))
    $xoauth2 = "user=$User$([char]1)auth=Bearer $Token$([char]1)$([char]1)"
    $script:TokenForms = @($Token, (ConvertTo-Base64 $xoauth2))

    function Get-ExceptionText($Exception) {
        # ToString() holds the inner exceptions too; a composite's failures hold each backend's own exception.
        for ($e = $Exception; $e; $e = $e.InnerException) {
            $e.ToString()
            if ($e.PSObject.Properties['Failures']) { foreach ($f in $e.Failures) { Get-ExceptionText $f.Exception } }
        }
    }

    function Get-EverythingShownOrStored {
        param($Output, $Errors, [string] $Spool, [string] $Log)
        foreach ($item in $Output) {
            if ($item -is [string]) { $item; continue }
            $item | Format-List * -Force | Out-String
            if ($item.PSObject.Properties['Results']) { $item.Results | Format-List * -Force | Out-String; $item.Results.Error; Get-ExceptionText $item.Results.Exception }
            if ($item.PSObject.Properties['Error']) { $item.Error; Get-ExceptionText $item.Exception }
        }
        foreach ($record in $Errors) {
            $record | Out-String
            Get-ExceptionText $record.Exception
        }
        if ($Spool) { Get-ChildItem $Spool -Recurse -File -Filter *.meta | ForEach-Object { [IO.File]::ReadAllText($_.FullName) } }
        if ($Log) { [IO.File]::ReadAllText($Log) }
    }

    function Assert-NoSecret([string] $Text, [string[]] $Forms) {
        foreach ($form in $Forms) { $Text.Contains($form) | Should -BeFalse -Because "'$($form.Substring(0, [Math]::Min(12, $form.Length)))...' must be redacted" }
        $Text | Should -Match '\*{8}' -Because 'the echo is still reported, with the secret masked'
    }
}

Describe 'An SMTP server that echoes the AUTH data in its 535' {
    BeforeAll {
        $script:Echo = Start-TestSmtpServer -Mode raw -EchoAuth PLAIN, LOGIN, XOAUTH2
        $script:EchoLogin = Start-TestSmtpServer -Mode raw -EchoAuth LOGIN
    }
    AfterAll { $script:Echo, $script:EchoLogin | Stop-TestSmtpServer }

    It 'redacts the password (<Mechanism>) from the error, Results.Error, the exception, the spool, the verbose stream and the protocol log' -ForEach @(
        @{ Mechanism = 'PLAIN' }
        @{ Mechanism = 'LOGIN' }
    ) {
        $server = if ($Mechanism -eq 'PLAIN') { $Echo } else { $EchoLogin }
        $credential = [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
        $log = Join-Path $TestDrive "smtp-$Mechanism.log"
        $spool = Join-Path $TestDrive "spool-$Mechanism"
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $server.Port -Security None -Credential $credential -RetryCount 0 -ProtocolLog $log -WarningAction SilentlyContinue

        $output = Send-CompositeMail -Backend $smtp @Mail -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1

        @(Get-TestSmtpEvent $server -Event auth-echoed | Where-Object mechanism -eq $Mechanism).Count | Should -BeGreaterThan 0
        $result = $output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match '535'
        $failures.Count | Should -Be 1
        $text = Get-EverythingShownOrStored -Output $output -Errors $failures -Spool $spool -Log $log | Out-String
        Assert-NoSecret $text $PasswordForms
        [IO.File]::ReadAllText($log) | Should -Match 'S: 535 .*\*{8}'
    }

    It 'redacts a bearer token of realistic length (XOAUTH2) from every output' {
        $log = Join-Path $TestDrive 'smtp-xoauth2.log'
        $spool = Join-Path $TestDrive 'spool-xoauth2'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Echo.Port -Security None -UserName $User `
            -OAuthToken (ConvertTo-SecureString $Token -AsPlainText -Force) -RetryCount 0 -ProtocolLog $log -WarningAction SilentlyContinue

        $output = Send-CompositeMail -Backend $smtp @Mail -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1

        @(Get-TestSmtpEvent $Echo -Event auth-echoed | Where-Object mechanism -eq 'XOAUTH2').Count | Should -BeGreaterThan 0
        $failures.Count | Should -Be 1
        $text = Get-EverythingShownOrStored -Output $output -Errors $failures -Spool $spool -Log $log | Out-String
        Assert-NoSecret $text $TokenForms
    }

    It 'redacts a password the server quotes before authentication (one it got on an earlier connection)' {
        $remembering = Start-TestSmtpServer -Mode raw -Refuse "EHLO:554 5.7.1 you sent $Password last time", "HELO:554 5.7.1 you sent $Password last time"
        try {
            $credential = [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
            $log = Join-Path $TestDrive 'smtp-greeting.log'
            $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $remembering.Port -Security None -Credential $credential -RetryCount 0 -ProtocolLog $log -WarningAction SilentlyContinue

            $output = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1
            $test = Test-MailBackend -Backend $smtp

            $failures.Count | Should -Be 1
            Assert-NoSecret (Get-EverythingShownOrStored -Output (@($output) + $test) -Errors $failures -Log $log | Out-String) $PasswordForms
        }
        finally { $remembering | Stop-TestSmtpServer }
    }

    It 'redacts the password from Test-MailBackend''s result, at -ErrorAction Stop too' {
        $credential = [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Echo.Port -Security None -Credential $credential -RetryCount 0 -WarningAction SilentlyContinue

        $test = Test-MailBackend -Backend $smtp
        $test.Succeeded | Should -BeFalse
        $test.Authenticated | Should -BeFalse
        Assert-NoSecret (Get-EverythingShownOrStored -Output $test | Out-String) $PasswordForms

        $caught = $null
        try { Send-CompositeMail -Backend $smtp @Mail -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        Assert-NoSecret (Get-EverythingShownOrStored -Errors $caught | Out-String) $PasswordForms
    }
}

Describe 'A managed identity endpoint that echoes X-IDENTITY-HEADER in its error' {
    BeforeAll {
        $script:IdentityHeader = 'mi-' + [guid]::NewGuid().ToString('N')
        $script:Echoing = '66666666-6666-6666-6666-666666666666'
        $script:Cloud = Start-TestCloudServer -Config @{
            managed_identity = @{ header = $IdentityHeader; system_client_id = '44444444-4444-4444-4444-444444444444'; client_ids = @($Echoing); echo_client_id = $Echoing }
        }
        $script:RestoreIdentityEndpoint = Set-TestIdentityEndpoint -Cloud $Cloud -Header $IdentityHeader
    }
    AfterAll {
        & $RestoreIdentityEndpoint
        $script:Cloud | Stop-TestCloudServer
    }

    It 'redacts the header value from the error, Results.Error, the exception, the spool and Test-MailBackend' {
        $spool = Join-Path $TestDrive 'spool-mi'
        $graph = New-MailBackend -Graph -ManagedIdentity -ManagedIdentityClientId $Echoing -GraphEndpoint $Cloud.Url -RetryCount 0

        $output = Send-CompositeMail -Backend $graph @Mail -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1
        $test = Test-MailBackend -Backend $graph

        @(Get-TestCloudEvent $Cloud -Event mi-refused | Where-Object why -eq 'echo').Count | Should -BeGreaterThan 1
        $failures.Count | Should -Be 1
        $result = $output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
        $result.Results[0].Error | Should -Match 'is not allowed here'
        $test.Error | Should -Match 'is not allowed here'
        $text = Get-EverythingShownOrStored -Output (@($output) + $test) -Errors $failures -Spool $spool | Out-String
        Assert-NoSecret $text @($IdentityHeader)
    }
}

Describe 'Entra ID, Graph and an SMTP server that echo a client secret or an app token' {
    BeforeAll {
        $script:Tenant = 'contoso.onmicrosoft.com'
        $script:EchoApp = '77777777-7777-7777-7777-777777777777'
        $script:GoodApp = '88888888-8888-8888-8888-888888888888'
        $script:ClientSecret = 'Cs~' + [guid]::NewGuid().ToString('N') + '+/='
        $script:Cloud = Start-TestCloudServer -Config @{
            entra = @{ tenant = $Tenant; clients = @(
                    @{ client_id = $EchoApp; secret = $ClientSecret; echo = $true }
                    @{ client_id = $GoodApp; secret = $ClientSecret }) }
            graph = @{ echo_token = @('echo@contoso.com') }
        }
        $script:Entra = @{ TenantId = $Tenant; AuthorityHost = $Cloud.Url; ClientSecret = (ConvertTo-SecureString $ClientSecret -AsPlainText -Force) }
        $script:SecretForms = @($ClientSecret, [uri]::EscapeDataString($ClientSecret), [Net.WebUtility]::UrlEncode($ClientSecret))
        $script:Echo = Start-TestSmtpServer -Mode raw -EchoAuth XOAUTH2
        # Tokens are JWTs ('eyJ...'), unknown to the test: no JWT may show, nor the start of the XOAUTH2 string in base64.
        $xoauth2Start = "user=$User$([char]1)auth=Bearer "
        $script:TokenTraces = @('eyJ', (ConvertTo-Base64 $xoauth2Start.Substring(0, $xoauth2Start.Length - $xoauth2Start.Length % 3)))
    }
    AfterAll { $script:Cloud, $script:Echo | Stop-TestSmtpServer }

    It 'redacts a client secret Entra ID quotes, in Graph''s results and Test-MailBackend' {
        $spool = Join-Path $TestDrive 'spool-entra'
        $graph = New-MailBackend -Graph @Entra -ClientId $EchoApp -GraphEndpoint $Cloud.Url -RetryCount 0

        $output = Send-CompositeMail -Backend $graph @Mail -SpoolDirectory $spool -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1
        $test = Test-MailBackend -Backend $graph

        $failures.Count | Should -Be 1
        $test.Error | Should -Match 'AADSTS7000215'
        Assert-NoSecret (Get-EverythingShownOrStored -Output (@($output) + $test) -Errors $failures -Spool $spool | Out-String) $SecretForms
    }

    It 'redacts the bearer token Graph quotes in its 403' {
        $graph = New-MailBackend -Graph @Entra -ClientId $GoodApp -GraphEndpoint $Cloud.Url -RetryCount 0 -Mailbox echo@contoso.com

        $output = Send-CompositeMail -Backend $graph @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1

        $failures.Count | Should -Be 1
        @($output | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] })[0].Results[0].Error | Should -Match 'Access is denied for Bearer \*{8}'
        Assert-NoSecret (Get-EverythingShownOrStored -Output $output -Errors $failures | Out-String) $TokenTraces
    }

    It 'redacts an app token an SMTP server quotes, on the first try and on the retry with a fresh token' {
        $log = Join-Path $TestDrive 'smtp-app-token.log'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Echo.Port -Security None -UserName $User @Entra -ClientId $GoodApp `
            -RetryCount 0 -ProtocolLog $log -WarningAction SilentlyContinue

        $output = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -Verbose 4>&1

        @(Get-TestSmtpEvent $Echo -Event auth-echoed).Count | Should -BeGreaterThan 1 -Because 'a refused token gets one fresh token and one more try'
        $failures.Count | Should -Be 1
        Assert-NoSecret (Get-EverythingShownOrStored -Output $output -Errors $failures -Log $log | Out-String) ($TokenTraces + $SecretForms)
    }
}

Describe 'Descriptions hold no secret' {
    # A backend's Description reaches -WhatIf, each result, Reason (where members share a name), the message log, the
    # spool's .meta, warnings and errors. A script block's text and a URL's user info or query can hold secrets.
    It 'shows no secret of any backend kind in Description, -WhatIf, Reason, the results, errors, warnings, the log or the spool' {
        $closed = Get-FreeTcpPort
        $log = Join-Path $TestDrive 'described.log'
        $spool = Join-Path $TestDrive 'described-spool'
        $probe = Join-Path $TestDrive 'described.ps1'
        $secrets = 'sk_live_51HxSECRETabc', 'eyJSECRETTOKEN123', 'SAS-SIG-99', 'AUTH-CODE-42', 'Client-Secret-77', 'Smtp-Pass-55'
        Set-Content $probe @"
Import-Module '$ModulePath'
`$secret = ConvertTo-SecureString 'Client-Secret-77' -AsPlainText -Force
`$credential = [pscredential]::new('robot', (ConvertTo-SecureString 'Smtp-Pass-55' -AsPlainText -Force))
`$graph = @{ Mailbox = 'a@example.com'; TenantId = 't'; ClientId = 'c'; ClientSecret = `$secret; TimeoutSec = 20
    GraphEndpoint = 'https://127.0.0.1:$closed/?sig=SAS-SIG-99'; AuthorityHost = 'https://127.0.0.1:$closed/?code=AUTH-CODE-42' }
`$members = @(
    New-MailBackend -ScriptBlock { `$apiKey = 'sk_live_51HxSECRETabc'; throw 'webhook down' }
    New-MailBackend -ScriptBlock { `$headers = @{ Authorization = 'Bearer eyJSECRETTOKEN123' }; throw 'webhook down' }
    New-MailBackend -Graph @graph
    New-MailBackend -Graph @graph
    New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $closed -Security None -RetryCount 0 -Credential `$credential -WarningAction SilentlyContinue
    New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $closed -Security None -RetryCount 0 -Credential `$credential -WarningAction SilentlyContinue
    New-MailBackend -Directory '$TestDrive/described-out'
    New-MailBackend -Memory
    New-MailBackend -Null
)
`$composite = New-MailBackend -Composite -Backend `$members -Policy All -Name relays
`$members | ForEach-Object { "DESCRIPTION: `$(`$_.Description)" }
"DESCRIPTION: `$(`$composite.Description)"
`$mail = @{ From = 'a@example.com'; To = 'b@example.com'; Subject = 'described'; Body = 'b' }
Send-CompositeMail -Backend `$composite @mail -WhatIf
`$result = Send-CompositeMail -Backend `$composite @mail -LogPath '$log' -SpoolDirectory '$spool' -PassThru -ErrorAction SilentlyContinue -ErrorVariable failures -WarningVariable warned
"REASON: `$(`$result.Reason)"
`$result.Results | Format-Table | Out-String -Width 250
`$result.Results.Results | Format-List | Out-String -Width 250
`$failures | ForEach-Object { "ERROR: `$_" }
`$warned | ForEach-Object { "WARNING: `$_" }
Get-Content '$log' | ForEach-Object { "LOG: `$_" }
Get-ChildItem '$spool' -Filter *.meta | Get-Content | ForEach-Object { "META: `$_" }
"@
        $run = Invoke-TestPwsh -File $probe
        $shown = $run.Output
        ([regex]::Matches($shown, 'DESCRIPTION: ')).Count | Should -Be 10 -Because "every backend was made:`n$shown"
        $shown | Should -Match 'DESCRIPTION: script block at .*described\.ps1:\d+'
        $shown | Should -Match ([regex]::Escape("DESCRIPTION: https://127.0.0.1:$closed/ as a@example.com"))
        $shown | Should -Match "What if: .*script block at"
        $shown | Should -Match "REASON: .*'scriptblock' #1 \(script block at .*'graph' #2 \(https://127\.0\.0\.1:$closed/ as"
        $shown | Should -Match 'LOG: .*"reason":"[^"]*script block at'
        $shown | Should -Match 'META: '
        foreach ($secret in $secrets) { $shown | Should -Not -Match ([regex]::Escape($secret)) -Because "'$secret' is a secret:`n$shown" }
    }

    It 'refuses an SMTP server written as user:password@host, without repeating it' {
        { New-MailBackend -Smtp -SmtpServer 'robot:Pw-in-host-31@127.0.0.1' } | Should -Throw -ErrorId 'InvalidSmtpServer,*'
        $refused = $null
        try { New-MailBackend -Smtp -SmtpServer 'robot:Pw-in-host-31@127.0.0.1' } catch { $refused = $_ }
        $refused.Exception.Message | Should -Match 'host name or IP address'
        "$refused $($refused.TargetObject) $($refused.Exception)" | Should -Not -Match 'Pw-in-host-31'
        { Send-CompositeMail -SmtpServer 'robot:Pw-in-host-31@127.0.0.1' -From a@example.com -To b@example.com -Subject s -Body b } |
            Should -Throw -ErrorId 'InvalidSmtpServer,*'
    }

    # A user name or password in an address is refused (the test above shows a query is never repeated either).
    It 'refuses -<Setting> <Url> without repeating its password or query' -ForEach @(
        @{ Setting = 'GraphEndpoint'; Url = 'http://user:Pw-url-41@graph.example.com/?sig=Sig-url-41'; Reason = 'is not an https URL' }
        @{ Setting = 'GraphEndpoint'; Url = 'https:/user:Pw-url-42@graph.example.com'; Reason = 'is not an https URL' }
        @{ Setting = 'GraphEndpoint'; Url = 'https://user:Pw-url-43@graph.example.com/?sig=Sig-url-43'; Reason = 'user name or password' }
        @{ Setting = 'AuthorityHost'; Url = 'http://user:Pw-url-44@login.example.com/?x=Sig-url-44'; Reason = 'is not an https URL' }
        @{ Setting = 'AuthorityHost'; Url = 'https://user:Pw-url-45@login.example.com/'; Reason = 'user name or password' }
    ) {
        $secret = ConvertTo-SecureString 'client-secret' -AsPlainText -Force
        $settings = @{ Graph = $true; TenantId = 't'; ClientId = 'c'; ClientSecret = $secret; $Setting = $Url }
        $refused = $null
        try { New-MailBackend @settings -ErrorAction Stop } catch { $refused = $_ }

        $refused | Should -Not -BeNullOrEmpty
        $refused.FullyQualifiedErrorId | Should -BeLike "Invalid$Setting,*"
        $refused.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $refused.Exception.Message | Should -Match $Reason
        "$refused $($refused.TargetObject) $($refused.Exception)" | Should -Not -Match 'Pw-url-|Sig-url-'
    }
}
