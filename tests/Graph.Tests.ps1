BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    . $PSScriptRoot/cloud.ps1
    $script:Tenant = 'contoso.onmicrosoft.com'
    $script:AppId = '11111111-1111-1111-1111-111111111111'
    $script:Secret = 'Graph~Secret.Value-' + [guid]::NewGuid().ToString('N')
    $script:SecureSecret = ConvertTo-SecureString $Secret -AsPlainText -Force
    $script:Message = @{ From = 'robot@contoso.com'; To = 'jane@contoso.com'; Subject = 'Graph test'; Body = 'Hello.' }

    function Start-GraphServer {
        param([hashtable] $Graph = @{}, [int] $TokenLifetime = 3599)
        Start-TestCloudServer -Config @{
            entra          = @{ tenant = $Tenant; clients = @(@{ client_id = $AppId; secret = $Secret }) }
            graph          = $Graph
            token_lifetime = $TokenLifetime
        }
    }

    function New-GraphBackend {
        param($Server, [hashtable] $Extra = @{})
        New-MailBackend -Graph -TenantId $Tenant -ClientId $AppId -ClientSecret $SecureSecret -AuthorityHost $Server.Url -GraphEndpoint $Server.Url @Extra
    }
}

Describe 'Graph sendMail' {
    BeforeAll {
        $script:Server = Start-GraphServer -Graph @{ denied = @('ceo@contoso.com') }
        $script:Graph = New-GraphBackend $Server
    }
    AfterAll { $script:Server | Stop-TestCloudServer }

    It 'posts the message as MIME with HTML, attachments and Bcc, and reports the request-id' {
        $report = Join-Path $TestDrive 'report.csv'
        Set-Content $report "a,b`n1,2"
        $result = Send-CompositeMail -Backend $Graph -From robot@contoso.com -To jane@contoso.com -Cc boss@contoso.com -Bcc audit@contoso.com `
            -Subject 'Graph MIME' -Body 'Plain text' -HtmlBody '<p>Hello <b>Jane</b></p>' -Attachments $report

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        $result.Results[0].Detail | Should -Match 'request-id [0-9a-f-]{36}'
        $sent = @(Get-TestCloudMessage $Server)[-1]
        $sent.Route | Should -Be 'sendMail'
        $sent.Mailbox | Should -Be 'robot@contoso.com'
        $sent.Message.MessageId | Should -Be $result.MessageId
        $sent.Message.Bcc.Mailboxes.Address | Should -Be 'audit@contoso.com'
        $sent.Message.Cc.Mailboxes.Address | Should -Be 'boss@contoso.com'
        $sent.Message.HtmlBody | Should -Match '<b>Jane</b>'
        $sent.Message.TextBody | Should -Match 'Plain text'
        $sent.Message.Attachments.FileName | Should -Be 'report.csv'
        $result.Results[0].Detail | Should -Match ([regex]::Escape(@(Get-TestCloudEvent $Server -Event graph-request)[-1].mailbox))
    }

    It 'keeps Bcc out of what the other backends send while Graph gets it' {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $Graph, $memory @Message -Bcc hidden@contoso.com -Subject 'Bcc split'
        $memory.Messages[0].ToString() | Should -Not -Match 'hidden@contoso\.com'
        (Get-TestCloudMessage $Server | Where-Object { $_.Message.Subject -eq 'Bcc split' }).Message.Bcc.Mailboxes.Address | Should -Be 'hidden@contoso.com'
    }

    It 'sends as -Mailbox when given' {
        $shared = New-GraphBackend $Server -Extra @{ Mailbox = 'noreply@contoso.com' }
        (Send-CompositeMail -Backend $shared @Message -Subject 'Shared').Succeeded | Should -BeTrue
        @(Get-TestCloudMessage $Server)[-1].Mailbox | Should -Be 'noreply@contoso.com'
    }

    It 'names the Mail.Send permission and application access policies for a denied mailbox' {
        $result = Send-CompositeMail -Backend $Graph @Message -From ceo@contoso.com -ErrorVariable failures -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $result.Results[0].Error | Should -Match 'ErrorAccessDenied'
        $result.Results[0].Error | Should -Match 'Mail\.Send'
        $result.Results[0].Error | Should -Match 'application access policy'
        $result.Results[0].Error | Should -Match 'RBAC for Applications'
        $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $result.Results[0].Detail | Should -Match 'request-id [0-9a-f-]{36}' -Because 'support asks for the request-id of failures too'
    }

    It 'sends through a draft marked for deletion after submit with -SaveToSentItems:$false' {
        $graph = New-GraphBackend $Server -Extra @{ SaveToSentItems = $false }
        $graph.SaveToSentItems | Should -BeFalse
        (Send-CompositeMail -Backend $graph @Message -Subject 'Not kept').Succeeded | Should -BeTrue
        $sent = @(Get-TestCloudMessage $Server)[-1]
        $sent.Route | Should -Be 'draft'
        $sent.Patch.singleValueExtendedProperties[0].id | Should -Be 'Boolean 0x0E01'
    }

    It 'checks the credential with Test-MailBackend by fetching a token, sending nothing' {
        $before = @(Get-TestCloudEvent $Server -Event graph-request).Count
        $test = Test-MailBackend -Backend (New-GraphBackend $Server)
        $test.Succeeded | Should -BeTrue -Because $test.Error
        $test.Kind | Should -Be 'Graph'
        $test.Detail | Should -Match 'nothing was sent'
        $test.Authenticated | Should -BeTrue
        @(Get-TestCloudEvent $Server -Event graph-request).Count | Should -Be $before
    }
}

Describe 'Graph for big messages' {
    BeforeAll {
        $script:Server = Start-GraphServer
        $script:Graph = New-GraphBackend $Server
    }
    AfterAll { $script:Server | Stop-TestCloudServer }

    It 'sends a 20 MB attachment through an upload session in chunks of at most 4 MB, without the bearer token' {
        $big = Join-Path $TestDrive 'big.bin'
        $bytes = [byte[]]::new(20MB)
        [Random]::new(13).NextBytes($bytes)
        [IO.File]::WriteAllBytes($big, $bytes)
        $small = Join-Path $TestDrive 'small.txt'
        Set-Content $small 'small one'
        $result = Send-CompositeMail -Backend $Graph @Message -Subject 'Big one' -Bcc audit@contoso.com -Attachments $big, $small

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        $sent = @(Get-TestCloudMessage $Server)[-1]
        $sent.Route | Should -Be 'draft'
        $sent.Message.Subject | Should -Be 'Big one'
        $sent.Message.Bcc.Mailboxes.Address | Should -Be 'audit@contoso.com'
        $sent.Attachments.name | Sort-Object | Should -Be 'big.bin', 'small.txt'
        $uploaded = $sent.Attachments | Where-Object name -eq 'big.bin'
        (Get-FileHash $uploaded.file).Hash | Should -Be (Get-FileHash $big).Hash
        $uploads = @(Get-TestCloudEvent $Server -Event upload)
        $uploads.Count | Should -BeGreaterThan 5
        $uploads.authorization | Should -Not -Contain $true
        ($uploads.length | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 4MB
        # Every Graph API call did carry the token.
        (Get-TestCloudEvent $Server | Where-Object { $_.path -like '/v1.0/*' }).authorization | Should -Not -Contain $false
    }

    It 'delivers an empty attachment with the others in a draft (<Case>), or the message would fail' -ForEach @(
        @{ Case = 'a message over 4 MB'; BigBytes = 5MB; Extra = @{} }
        @{ Case = 'a small message kept out of Sent Items'; BigBytes = 0; Extra = @{ SaveToSentItems = $false } }
    ) {
        # Graph opens no upload session for 0 bytes (the stand-in refuses one, as Graph does): the empty file must be posted whole.
        $empty = Join-Path $TestDrive 'empty.txt'
        [IO.File]::WriteAllBytes($empty, [byte[]]::new(0))
        $small = Join-Path $TestDrive 'note.txt'
        Set-Content $small 'a note'
        $files = @($empty, $small)
        if ($BigBytes) {
            $big = Join-Path $TestDrive 'five.bin'
            $bytes = [byte[]]::new($BigBytes)
            [Random]::new(7).NextBytes($bytes)
            [IO.File]::WriteAllBytes($big, $bytes)
            $files += $big
        }
        $result = Send-CompositeMail -Backend (New-GraphBackend $Server -Extra $Extra) @Message -Subject "Empty attachment, $Case" -Attachments $files

        $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
        $sent = @(Get-TestCloudMessage $Server)[-1]
        $sent.Route | Should -Be 'draft'
        $sent.Attachments.name | Sort-Object | Should -Be ($files | ForEach-Object { Split-Path $_ -Leaf } | Sort-Object)
        ($sent.Attachments | Where-Object name -eq 'empty.txt').size | Should -Be 0
        $result.Results[0].Detail | Should -Match "with $($files.Count) uploaded attachment"
    }
}

Describe 'Graph upload sessions and redirects' {
    BeforeAll {
        $script:Attachment = Join-Path $TestDrive 'upload.bin'
        [IO.File]::WriteAllBytes($Attachment, [byte[]](1..200))
    }

    It 'fails and deletes the draft, sending nothing, when <Case>' -ForEach @(
        # Before, every chunk answered 200 "still expecting 0-" ended in a draft sent without the file, reported Succeeded.
        @{ Case = 'the upload session never completes'; Graph = @{ upload_incomplete = $true }; Said = 'upload of upload\.bin did not complete' }
        # Before, a 404 from the upload URL said the mailbox was unknown.
        @{ Case = 'the upload URL answers 404'; Graph = @{ upload_gone = $true }; Said = 'upload session for upload\.bin is gone' }
    ) {
        $server = Start-GraphServer -Graph $Graph
        try {
            $result = Send-CompositeMail -Backend (New-GraphBackend $server -Extra @{ SaveToSentItems = $false }) @Message -Subject $Case `
                -Attachments $Attachment -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match $Said
            $result.Results[0].Error | Should -Not -Match 'does not know the mailbox'
            Get-TestCloudMessage $server | Should -BeNullOrEmpty
            @(Get-TestCloudEvent $server -Event draft-deleted).Count | Should -Be 1
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'leaves request-id out of Detail when Graph sends none, for sendMail and for a draft' {
        $server = Start-GraphServer -Graph @{ no_request_id = $true }
        try {
            $graph = New-GraphBackend $server
            $plain = Send-CompositeMail -Backend $graph @Message -Subject 'No request-id'
            $draft = Send-CompositeMail -Backend (New-GraphBackend $server -Extra @{ SaveToSentItems = $false }) @Message -Subject 'No request-id draft' -Attachments $Attachment
            $plain.Succeeded, $draft.Succeeded | Should -Be $true, $true
            $plain.Results[0].Detail, $draft.Results[0].Detail | Should -Not -Match 'request-id'
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'follows no redirect from -GraphEndpoint: nothing of the message reaches the other host' {
        $target = Start-GraphServer
        $redirector = Start-TestCloudServer -Config @{
            entra    = @{ tenant = $Tenant; clients = @(@{ client_id = $AppId; secret = $Secret }) }
            redirect = @{ graph = $target.Url }
        }
        try {
            $result = Send-CompositeMail -Backend (New-GraphBackend $redirector) @Message -Subject 'Redirected' -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match 'redirect'
            $result.Results[0].Error | Should -Match ([regex]::Escape($target.Url))
            @(Get-TestCloudEvent $redirector -Event graph-redirect).Count | Should -BeGreaterOrEqual 1
            Get-TestCloudEvent $target -Event graph-request | Should -BeNullOrEmpty
            Get-TestCloudMessage $target | Should -BeNullOrEmpty
        }
        finally { $target, $redirector | Stop-TestCloudServer }
    }
}

Describe 'Graph throttling and token renewal' {
    It 'waits for Retry-After on 429 and sends each message once' {
        $server = Start-GraphServer -Graph @{ throttle = 2 }
        try {
            $results = 1..3 | ForEach-Object { [pscustomobject]@{ Subject = "Throttled $_" } } |
                Send-CompositeMail -Backend (New-GraphBackend $server) -From robot@contoso.com -To jane@contoso.com -Body b -Verbose 4>&1
            $sendResults = $results | Where-Object { $_ -is [PSCompositeMail.Results.SendResult] }
            $sendResults.Succeeded | Should -Be $true, $true, $true
            ($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -match 'Retry-After' | Should -Not -BeNullOrEmpty
            @(Get-TestCloudEvent $server -Event graph-refused | Where-Object status -eq 429).Count | Should -Be 2
            (Get-TestCloudMessage $server).Message.Subject | Should -Be 'Throttled 1', 'Throttled 2', 'Throttled 3'
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'keeps honouring Retry-After past -RetryCount while the waits stay within the bound' {
        $server = Start-GraphServer -Graph @{ throttle = 3 }
        try {
            $result = Send-CompositeMail -Backend (New-GraphBackend $server) @Message -Subject 'Three 429s'
            $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
            @(Get-TestCloudEvent $server -Event graph-refused | Where-Object status -eq 429).Count | Should -Be 3
            @(Get-TestCloudMessage $server).Message.Subject | Should -Be 'Three 429s'
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'fails a message at once when Retry-After asks for more than the bound, and goes on with the next' {
        $server = Start-GraphServer -Graph @{ throttle = 1; retry_after = 3600 }
        try {
            $results = 1..2 | ForEach-Object { [pscustomobject]@{ Subject = "Hour $_" } } |
                Send-CompositeMail -Backend (New-GraphBackend $server) -From robot@contoso.com -To jane@contoso.com -Body b -ErrorAction SilentlyContinue
            @($results).Succeeded | Should -Be $false, $true
            $results[0].Results[0].Error | Should -Match 'asks to wait 3600 s'
            $results[0].Results[0].Error | Should -Match 'at most 180 s'
            @(Get-TestCloudEvent $server -Event graph-refused | Where-Object status -eq 429).Count | Should -Be 1
            @(Get-TestCloudMessage $server).Message.Subject | Should -Be 'Hour 2'
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'tries a 429 whose Retry-After asks for no wait (<Case>) only -RetryCount times, as one without Retry-After' -ForEach @(
        @{ Case = 'Retry-After: 0'; RetryAfter = '0' }
        @{ Case = 'a date in the past'; RetryAfter = 'Wed, 21 Oct 2015 07:28:00 GMT' }
    ) {
        # Before, a zero wait never added to the 3-minute bound: Graph was asked again at once, without end.
        $server = Start-GraphServer -Graph @{ throttle = 40; retry_after = $RetryAfter }
        try {
            $result = Send-CompositeMail -Backend (New-GraphBackend $server -Extra @{ RetryCount = 1 }) @Message -Subject 'No wait' -ErrorAction SilentlyContinue
            $result.Succeeded | Should -BeFalse
            $result.Results[0].Error | Should -Match '429'
            @(Get-TestCloudEvent $server -Event graph-refused | Where-Object status -eq 429).Count | Should -Be 2
            Get-TestCloudMessage $server | Should -BeNullOrEmpty
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'renews a token that expires mid-batch, losing and repeating nothing' {
        # Each token stops working after two uses, as if it had expired early: Graph answers 401.
        $server = Start-GraphServer -Graph @{ token_max_uses = 2 }
        try {
            $results = 1..5 | ForEach-Object { [pscustomobject]@{ Subject = "Batch $_" } } |
                Send-CompositeMail -Backend (New-GraphBackend $server) -From robot@contoso.com -To jane@contoso.com -Body b
            $results.Succeeded | Should -Be $true, $true, $true, $true, $true
            @(Get-TestCloudEvent $server -Event graph-refused | Where-Object status -eq 401).Count | Should -Be 2
            @(Get-TestCloudEvent $server -Event token).Count | Should -Be 3
            (Get-TestCloudMessage $server).Message.Subject | Should -Be (1..5 | ForEach-Object { "Batch $_" })
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'asks for a new token before the cached one expires, so Graph never sees an expired one' {
        # Two minutes left is inside the five minutes before expiry in which a cached token is no longer used.
        $server = Start-GraphServer -TokenLifetime 120
        try {
            $graph = New-GraphBackend $server
            $results = 1..3 | ForEach-Object { Send-CompositeMail -Backend $graph @Message -Subject "Renewed $_" }
            $results.Succeeded | Should -Be $true, $true, $true
            @(Get-TestCloudEvent $server -Event token).Count | Should -Be 3
            Get-TestCloudEvent $server -Event graph-refused | Should -BeNullOrEmpty
        }
        finally { $server | Stop-TestCloudServer }
    }

    It 'never has more than four requests in flight for one mailbox, whatever -ThrottleLimit says' {
        $server = Start-GraphServer -Graph @{ delay = 0.3 }
        try {
            $results = 1..12 | ForEach-Object { [pscustomobject]@{ Subject = "Parallel $_" } } |
                Send-CompositeMail -Backend (New-GraphBackend $server) -From robot@contoso.com -To jane@contoso.com -Body b -ThrottleLimit 8
            @($results | Where-Object Succeeded).Count | Should -Be 12
            $concurrency = (Get-TestCloudEvent $server -Event graph-request | Measure-Object concurrent -Maximum).Maximum
            $concurrency | Should -BeLessOrEqual 4
            $concurrency | Should -BeGreaterThan 1
        }
        finally { $server | Stop-TestCloudServer }
    }
}

Describe 'Graph profiles and isolation' {
    BeforeAll { $script:Server = Start-GraphServer }
    AfterAll { $script:Server | Stop-TestCloudServer }

    It 'builds a Graph backend from a profile whose secret comes from an environment variable, and sends' {
        $profilePath = Join-Path $TestDrive 'mail.psd1'
        Set-Content $profilePath @"
@{
    Production = @{ Backends = @( @{ Type = 'Graph'; Name = 'm365'; TenantId = '$Tenant'; ClientId = '$AppId'; ClientSecretEnv = 'PSCM_TEST_GRAPH_SECRET'
        Mailbox = 'noreply@contoso.com'; SaveToSentItems = `$true; Cloud = 'Global'; AuthorityHost = '$($Server.Url)'; GraphEndpoint = '$($Server.Url)' } ) }
}
"@
        $env:PSCM_TEST_GRAPH_SECRET = $Secret
        try {
            $graph = Import-MailBackend -Path $profilePath -Environment Production
            $graph.Kind | Should -Be 'Graph'
            $graph.Mailbox | Should -Be 'noreply@contoso.com'
            $result = Send-CompositeMail -Backend $graph @Message -Subject 'From a profile'
            $result.Succeeded | Should -BeTrue -Because $result.Results[0].Error
            @(Get-TestCloudMessage $Server)[-1].Mailbox | Should -Be 'noreply@contoso.com'
        }
        finally { Remove-Item Env:PSCM_TEST_GRAPH_SECRET }
    }

    It 'refuses a profile that writes the secret itself, or names a variable that is not set' {
        $inline = Join-Path $TestDrive 'inline.psd1'
        Set-Content $inline "@{ Production = @{ Backends = @( @{ Type = 'Graph'; TenantId = 't'; ClientId = 'c'; ClientSecret = 'oops' } ) } }"
        { Import-MailBackend -Path $inline -Environment Production } | Should -Throw -ExpectedMessage "*key 'Backends[[]0].ClientSecret': a Graph backend has no such key; expected one of *ClientSecretEnv*"
        $unset = Join-Path $TestDrive 'unset.psd1'
        Set-Content $unset "@{ Production = @{ Backends = @( @{ Type = 'Graph'; TenantId = 't'; ClientId = 'c'; ClientSecretEnv = 'PSCM_TEST_NOT_SET' } ) } }"
        { Import-MailBackend -Path $unset -Environment Production } | Should -Throw -ExpectedMessage "*ClientSecretEnv*'PSCM_TEST_NOT_SET' is not set*"
    }

    It 'fetches a token with our MSAL in a session where another module loaded an older MSAL first' {
        $older = $env:PSCOMPOSITEMAIL_OLDER_MSAL
        $older | Should -Exist -Because 'build.ps1 restores MSAL 4.61.3 for this test'
        $probe = Join-Path $TestDrive 'msal-isolation.ps1'
        Set-Content $probe @"
`$ErrorActionPreference = 'Stop'
`$null = [Reflection.Assembly]::LoadFrom('$older')
Import-Module '$ModulePath'
`$graph = New-MailBackend -Graph -TenantId $Tenant -ClientId $AppId -ClientSecret (ConvertTo-SecureString '$Secret' -AsPlainText -Force) -AuthorityHost $($Server.Url) -GraphEndpoint $($Server.Url)
`$test = Test-MailBackend -Backend `$graph
"token: `$(`$test.Succeeded) `$(`$test.Error)"
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Microsoft.Identity.Client' } | ForEach-Object { 'msal ' + `$_.GetName().Version }
"@
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'token: True'
        $run.Output | Should -Match 'msal 4\.61\.3'
        $run.Output | Should -Match 'msal 4\.92\.'
        @(Get-TestCloudEvent $Server -Event token).Count | Should -BeGreaterOrEqual 1
    }
}
