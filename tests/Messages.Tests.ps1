BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    function Send-ToMemory {
        # Sends through a fresh Memory backend and returns what it kept, parsed back with MimeKit.
        param([hashtable] $Arguments)
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory @Arguments
        $copy = $memory.Messages[0]
        $bytes = [Text.Encoding]::UTF8.GetBytes($copy.ToString())
        [pscustomobject]@{ Copy = $copy; Mime = [MimeKit.MimeMessage]::Load([IO.MemoryStream]::new($bytes)) }
    }
}

Describe 'Send-MailMessage parameters' {
    It 'has every Send-MailMessage parameter with the same name and type' {
        $ours = (Get-Command Send-CompositeMail).Parameters
        $expected = @{
            Attachments = [string[]]; Bcc = [string[]]; Body = [string]; BodyAsHtml = [switch]; Cc = [string[]]
            DeliveryNotificationOption = [System.Net.Mail.DeliveryNotificationOptions]; Encoding = [System.Text.Encoding]
            From = [string]; Priority = [System.Net.Mail.MailPriority]; ReplyTo = [string[]]; Subject = [string]; To = [string[]]
            SmtpServer = [string]; Port = [int]; Credential = [pscredential]; UseSsl = [switch]
        }
        foreach ($name in $expected.Keys) {
            $ours.ContainsKey($name) | Should -BeTrue -Because $name
            $ours[$name].ParameterType | Should -Be $expected[$name] -Because $name
        }
    }

    It 'sets Cc, Bcc (envelope only), Reply-To and Sender' {
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Cc = 'b@example.com, c@example.com'; Bcc = 'd@example.com'
            ReplyTo = 'help@example.com'; Sender = 'robot@example.com'; Subject = 's'; Body = 'b' }
        $sent.Mime.Cc.Mailboxes.Address | Should -Be 'b@example.com', 'c@example.com'
        $sent.Mime.ReplyTo.Mailboxes.Address | Should -Be 'help@example.com'
        $sent.Mime.Sender.Address | Should -Be 'robot@example.com'
        $sent.Mime.Bcc.Count | Should -Be 0
        $sent.Copy.Recipients | Should -Contain 'd@example.com'
        $sent.Copy.Sender | Should -Be 'robot@example.com'
    }

    It 'marks -Priority High as Send-MailMessage does' {
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Subject = 's'; Body = 'b'; Priority = 'High' }
        $sent.Mime.Headers['X-Priority'] | Should -Match '^1'
        $sent.Mime.Headers['Priority'] | Should -Be 'urgent'
        $sent.Mime.Headers['Importance'] | Should -Be 'high'
    }

    It 'sends -BodyAsHtml as text/html, and -Body with -HtmlBody as multipart/alternative' {
        (Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Body = '<b>hi</b>'; BodyAsHtml = $true }).Mime.Body.ContentType.MimeType | Should -Be 'text/html'
        $both = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Body = 'hi'; HtmlBody = '<b>hi</b>' }
        $both.Mime.Body.ContentType.MimeType | Should -Be 'multipart/alternative'
        $both.Mime.TextBody.TrimEnd() | Should -Be 'hi'
        $both.Mime.HtmlBody.TrimEnd() | Should -Be '<b>hi</b>'
    }

    It 'takes -Encoding as a name (<Name>) and uses it as the charset' -ForEach @(
        @{ Name = 'utf8'; Charset = 'utf-8' }
        @{ Name = 'ascii'; Charset = 'us-ascii' }
        @{ Name = 'latin1'; Charset = 'iso-8859-1' }
    ) {
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Subject = 's'; Body = 'plain words'; Encoding = $Name }
        $sent.Mime.Body.ContentType.Charset | Should -Be $Charset
    }

    It 'completes -Encoding names' {
        $completions = TabExpansion2 -inputScript 'Send-CompositeMail -Encoding utf' -cursorColumn 32
        $completions.CompletionMatches.CompletionText | Should -Contain 'utf8'
    }

    It 'adds -Headers and takes -MessageId' {
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Subject = 's'; Body = 'b'; Headers = @{ 'X-Ticket' = 'INC-42' }; MessageId = 'abc.123@example.com' }
        $sent.Mime.Headers['X-Ticket'] | Should -Be 'INC-42'
        $sent.Mime.MessageId | Should -Be 'abc.123@example.com'
    }

    It 'attaches files from paths, FileInfo objects and wildcards, with non-ASCII names encoded' {
        $folder = Join-Path $TestDrive 'files'
        $null = New-Item -ItemType Directory $folder
        Set-Content (Join-Path $folder 'a.txt') 'A'
        Set-Content (Join-Path $folder 'b.txt') 'B'
        Set-Content (Join-Path $folder 'Bericht Größe.csv') 'x,y'
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Subject = 's'; Body = 'b'
            Attachments = @((Join-Path $folder '*.txt'), (Get-Item (Join-Path $folder 'Bericht Größe.csv'))) }
        $names = $sent.Mime.Attachments | ForEach-Object { $_.FileName }
        $names | Should -Be 'a.txt', 'b.txt', 'Bericht Größe.csv'
        $sent.Copy.ToString() | Should -Match "filename\*=(utf-8''Bericht%20Gr%C3%B6%C3%9Fe|iso-8859-1''Bericht%20Gr%F6%DFe)\.csv"
        ($sent.Mime.Attachments | Select-Object -First 1).Content.Open().ReadByte() | Should -Be ([byte][char]'A')
    }

    It 'embeds -InlineAttachments referenced by cid:' {
        $image = Join-Path $TestDrive 'logo.png'
        [IO.File]::WriteAllBytes($image, [byte[]](0x89, 0x50, 0x4E, 0x47))
        $sent = Send-ToMemory @{ From = 'ops@example.com'; To = 'a@example.com'; Subject = 's'; Body = 'logo'
            HtmlBody = '<img src="cid:logo">'; InlineAttachments = @{ logo = $image } }
        $related = $sent.Mime.BodyParts | Where-Object { $_.ContentId -eq 'logo' }
        $related.ContentType.MimeType | Should -Be 'image/png'
        $related.ContentDisposition.Disposition | Should -Be 'inline'
        $sent.Copy.ToString() | Should -Match 'multipart/related'
    }

    It 'keeps Unicode subjects, display names and bodies, and never writes a line over 998 characters' {
        $long = 'x' * 5000
        $sent = Send-ToMemory @{ From = 'Zoë Ops <ops@example.com>'; To = '王小明 <wang@example.com>'; Subject = '报告 — Größe'; Body = "你好`n$long" }
        $sent.Mime.Subject | Should -Be '报告 — Größe'
        $sent.Mime.From.Mailboxes[0].Name | Should -Be 'Zoë Ops'
        $sent.Mime.To.Mailboxes[0].Name | Should -Be '王小明'
        $sent.Mime.TextBody | Should -Match "^你好\r?\n$long"
        $text = $sent.Copy.ToString()
        $text -split "`r`n" | ForEach-Object { $_.Length | Should -BeLessOrEqual 998 }
        $text -replace "`r`n", '' | Should -Not -Match "`n"
        $text | Should -Match 'Subject: =\?utf-8\?'
    }

    It 'refuses <Name> in -Headers' -ForEach @(
        @{ Name = 'a header name with a colon'; Headers = @{ 'X-Bad:Name' = 'v' } }
        @{ Name = 'a header name with a space'; Headers = @{ 'X Bad' = 'v' } }
    ) {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory @Mail -Headers $Headers -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $memory.Messages.Count | Should -Be 0
    }
}

Describe 'Messages from the pipeline' {
    It 'sends one message per CSV row, bound by property name, with several addresses in one cell' {
        $csv = Join-Path $TestDrive 'recipients.csv'
        @(
            [pscustomobject]@{ To = 'a@example.com; b@example.com'; Cc = ''; Subject = 'First'; Body = 'one'; Attachments = '' }
            [pscustomobject]@{ To = 'c@example.com'; Cc = 'boss@example.com'; Subject = 'Second'; Body = 'two'; Attachments = '' }
        ) | Export-Csv $csv
        $memory = New-MailBackend -Memory
        $results = Import-Csv $csv | Send-CompositeMail -Backend $memory -From ops@example.com

        $results.Count | Should -Be 2
        $memory.Messages[0].To | Should -Be 'a@example.com', 'b@example.com'
        $memory.Messages[0].Subject | Should -Be 'First'
        $memory.Messages[1].Cc | Should -Be 'boss@example.com'
        $memory.Messages[1].TextBody.TrimEnd() | Should -Be 'two'
    }

    It 'does mail merge with delay-bind script blocks' {
        $memory = New-MailBackend -Memory
        $staff = @(
            [pscustomobject]@{ Name = 'Ana'; Id = 1; To = 'ana@example.com' }
            [pscustomobject]@{ Name = 'Ben'; Id = 2; To = 'ben@example.com' }
        )
        $null = $staff | Send-CompositeMail -Backend $memory -From ops@example.com -Subject { "Report for $($_.Name)" } -Body { "Your id is $($_.Id)" }
        $memory.Messages.Subject | Should -Be 'Report for Ana', 'Report for Ben'
        $memory.Messages[1].TextBody.TrimEnd() | Should -Be 'Your id is 2'
    }

    It 'sends .eml files as they are, from Get-ChildItem or -Path' {
        $outbox = Join-Path $TestDrive 'eml-out'
        $null = 1..2 | ForEach-Object { Send-CompositeMail -Backend (New-MailBackend -Directory $outbox) @Mail -Subject "Stored $_" -Bcc 'hidden@example.com' }
        $memory = New-MailBackend -Memory
        $results = Get-ChildItem $outbox -Filter *.eml | Sort-Object Name | Send-CompositeMail -Backend $memory
        $results.Subject | Should -Be 'Stored 1', 'Stored 2'
        $memory.Messages[0].From | Should -Be 'ops@example.com'
        $memory.Messages[0].To | Should -Be 'jane@example.com'

        $again = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $again -Path (Join-Path $outbox '*.eml')
        $again.Messages.Count | Should -Be 2
        $again.Messages[0].MessageId | Should -Be $memory.Messages[0].MessageId
    }

    It 'reports an .eml file without recipients or a missing one, and goes on' {
        $bad = Join-Path $TestDrive 'no-rcpt.eml'
        Set-Content $bad "From: ops@example.com`r`nSubject: lost`r`n`r`nbody"
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory -Path $bad, (Join-Path $TestDrive 'missing.eml') -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 2
        $failures[0].Exception.Message | Should -Match 'no To, Cc or Bcc'
        $failures[1].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $memory.Messages.Count | Should -Be 0
    }

    It 'refuses <Name> as an attachment or a message file before anything is sent, and goes on' -Skip:$IsWindows -ForEach @(
        @{ Name = 'a named pipe (FIFO)'; Make = { param($path) & mkfifo $path }; Expected = 'a named pipe \(FIFO\)' }
        @{ Name = 'a link to a named pipe'; Make = { param($path) & mkfifo "$path.target"; $null = New-Item -ItemType SymbolicLink -Path $path -Target "$path.target" }; Expected = 'a named pipe \(FIFO\)' }
        @{ Name = 'a character device'; Make = { param($path) $null = New-Item -ItemType SymbolicLink -Path $path -Target /dev/zero }; Expected = 'a character device' }
        @{ Name = 'a directory'; Make = { param($path) $null = New-Item -ItemType Directory -Path $path }; Expected = 'a directory' }
    ) {
        # Opening a FIFO blocks until a writer comes and no Stop() ends it: the check runs in its own runspace with a deadline.
        $special = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        & $Make $special
        $memory = New-MailBackend -Memory
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
                param($ModulePath, $Memory, $Special)
                Import-Module $ModulePath
                $rows = @(
                    [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'special'; Body = 'b'; Attachments = $Special }
                    [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'after'; Body = 'b' }
                )
                $null = $rows | Send-CompositeMail -Backend $Memory -ErrorVariable attached -ErrorAction SilentlyContinue
                $null = Send-CompositeMail -Backend $Memory -Path $Special -ErrorVariable loaded -ErrorAction SilentlyContinue
                @($attached) + @($loaded)
            }).AddArgument($script:ModulePath).AddArgument($memory).AddArgument($special)
        $running = $shell.BeginInvoke()
        $finished = $running.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30))
        $finished | Should -BeTrue -Because 'opening a special file must not block the pipeline'
        $errors = @($shell.EndInvoke($running))
        $shell.Dispose()

        $errors | Should -HaveCount 2
        foreach ($failure in $errors) {
            $failure.Exception.Message | Should -Match $Expected
            $failure.CategoryInfo.Category | Should -Be 'ReadError'
            $failure.TargetObject | Should -Be $special
        }
        $memory.Messages.Subject | Should -Be @('after')
    }

    It 'says in plain words that /dev/stdin on a pipe is no file' -Skip:$IsWindows {
        $script = Join-Path $TestDrive 'stdin.ps1'
        Set-Content $script "Import-Module '$ModulePath'; `$null = Send-CompositeMail -Backend (New-MailBackend -Null) -From ops@example.com -To jane@example.com -Subject s -Body b -Attachments /dev/stdin -ErrorVariable failed -ErrorAction SilentlyContinue; `$failed[0].Exception.Message"
        $pwsh = Get-PwshCommandLine
        $arguments = $pwsh.Arguments
        $said = ('input' | & $pwsh.Path @arguments -File $script) -join ' '
        $said | Should -Match "^'/dev/stdin' given to -Attachments is a named pipe \(FIFO\), not a regular file"
        $said | Should -Not -Match 'SymbolicLink'
    }

    It 'refuses a named pipe given to <Name> before opening it, instead of blocking for ever' -Skip:$IsWindows -ForEach @(
        @{ Name = '-ProtocolLog'; Case = '$b = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -RetryCount 0 -ProtocolLog $Fifo; Send-CompositeMail -Backend $b -From ops@example.com -To jane@example.com -Subject s -Body b -SpoolDirectory $Spool -WarningVariable w -WarningAction SilentlyContinue; "$w"' }
        @{ Name = '-GoogleServiceAccountKey'; Case = '$b = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -RetryCount 0 -UserName u@example.com -GoogleServiceAccountKey $Fifo -WarningAction SilentlyContinue; Send-CompositeMail -Backend $b -From ops@example.com -To jane@example.com -Subject s -Body b -SpoolDirectory $Spool' }
        @{ Name = '-ClientCertificatePath'; Case = '$b = New-MailBackend -Graph -TenantId t -ClientId c -ClientCertificatePath $Fifo; Send-CompositeMail -Backend $b -From ops@example.com -To jane@example.com -Subject s -Body b -SpoolDirectory $Spool' }
        @{ Name = '-DkimPrivateKeyPath'; Case = 'New-MailBackend -Directory $Spool -DkimDomain example.com -DkimSelector s -DkimPrivateKeyPath $Fifo' }
        @{ Name = 'Import-MailBackend -Path'; Case = 'Import-MailBackend -Path $Fifo -Environment Development' }
    ) {
        # The case runs in its own runspace with a deadline: on a FIFO, a blocked open would never return.
        $fifo = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        & mkfifo $fifo
        $spool = Join-Path $TestDrive "spool-$([guid]::NewGuid().ToString('N'))"
        $server = Start-TestSmtpServer
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                    param($ModulePath, $Case, $Fifo, $Port, $Spool)
                    Import-Module $ModulePath
                    try { & ([scriptblock]::Create($Case)) -ErrorAction SilentlyContinue -ErrorVariable failed | ForEach-Object { if ($_.Results) { $_.Results.Error } elseif ($_ -is [string]) { $_ } } }
                    catch { "thrown: $($_.Exception.Message)" }
                    $failed | ForEach-Object { "error: $($_.Exception.Message)" }
                    "spooled: $(@(if (Test-Path $Spool) { Get-MailSpool -Path $Spool }).Count)"
                }).AddArgument($script:ModulePath).AddArgument($Case).AddArgument($fifo).AddArgument($server.Port).AddArgument($spool)
            $running = $shell.BeginInvoke()
            $finished = $running.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30))
            # Opening the FIFO for reading and writing ends an open blocked on it (Stop() cannot), so the runspace can end.
            for ($i = 0; -not $running.IsCompleted -and $i -lt 5; $i++) {
                $null = Start-Process sh -ArgumentList '-c', "exec 3<>'$fifo'; sleep 1" -PassThru
                $null = $running.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(5))
            }
            $finished | Should -BeTrue -Because 'opening a FIFO must not block the pipeline'
            $said = @($shell.EndInvoke($running)) -join "`n"
            $said | Should -Match "$([regex]::Escape($fifo))'?:? (it )?is a named pipe \(FIFO\), not a regular file"
            # A refused protocol log is a warning, and the message is delivered without it.
            if ($Case -match 'Send-CompositeMail') { $said | Should -Match ($Name -eq '-ProtocolLog' ? 'spooled: 0' : 'spooled: 1') }
        }
        finally {
            # A runspace still blocked in an open cannot be disposed (Dispose waits for it): it is left behind.
            if ($running.IsCompleted) { $shell.Dispose() }
            Stop-TestSmtpServer $server
        }
    }

    It 'says what <Word> did inside a ScriptBlock backend instead of "System error."' -ForEach @(
        @{ Word = 'exit'; Expected = "script block used 'exit'" }
        @{ Word = 'break'; Expected = "script block used 'break' or 'continue' outside a loop" }
        @{ Word = 'continue'; Expected = "script block used 'break' or 'continue' outside a loop" }
    ) {
        $backend = New-MailBackend -ScriptBlock ([scriptblock]::Create($Word)) -Name script
        $null = Send-CompositeMail -Backend $backend -From ops@example.com -To jane@example.com -Subject s -Body b -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed | Should -HaveCount 1
        $failed[0].Exception.Message | Should -Match ([regex]::Escape($Expected))
        $failed[0].Exception.Message | Should -Not -Match 'System error'
    }

    It 'shows progress (count and rate) on long batches, and none under SilentlyContinue' -ForEach @(
        @{ Preference = 'Continue'; Expected = $true }
        @{ Preference = 'SilentlyContinue'; Expected = $false }
    ) {
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($ModulePath, $Preference)
                Import-Module $ModulePath
                $ProgressPreference = $Preference
                $slow = New-MailBackend -ScriptBlock { Start-Sleep -Milliseconds 200 }
                1..8 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com" } } |
                    Send-CompositeMail -Backend $slow -From ops@example.com -Subject s -Body b
            }).AddArgument($ModulePath).AddArgument($Preference)
            $results = $shell.Invoke()
            $results.Count | Should -Be 8
            $status = $shell.Streams.Progress | Where-Object RecordType -eq 'Processing' | ForEach-Object StatusDescription
            if ($Expected) { $status | Should -Match '^\d+ message\(s\) handled, [\d.]+ per second$' } else { $status | Should -BeNullOrEmpty }
        }
        finally { $shell.Dispose() }
    }

    It 'shows no progress on a short batch' {
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($ModulePath)
                Import-Module $ModulePath
                1..3 | ForEach-Object { [pscustomobject]@{ To = "u$_@example.com" } } |
                    Send-CompositeMail -Backend (New-MailBackend -Null) -From ops@example.com -Subject s -Body b
            }).AddArgument($ModulePath)
            $null = $shell.Invoke()
            $shell.Streams.Progress | Should -BeNullOrEmpty
        }
        finally { $shell.Dispose() }
    }
}

Describe 'Invalid input and the mail libraries' {
    It 'refuses an invalid message with its category without loading MailKit, which only sending needs' {
        $probe = Join-Path $TestDrive 'refuse.ps1'
        Set-Content $probe @"
Import-Module '$ModulePath'
Send-CompositeMail -Backend (New-MailBackend -Memory) -From 'not an address' -To 'to@example.com' -Subject 's' -Body 'b' -ErrorVariable refused -ErrorAction SilentlyContinue
'category: ' + `$refused[0].CategoryInfo.Category
foreach (`$context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
    `$context.Assemblies | Where-Object { `$_.GetName().Name -eq 'MailKit' } | ForEach-Object { 'MailKit loaded' }
}
"@
        $run = Invoke-TestPwsh -File $probe

        $run.Output | Should -Match 'category: InvalidArgument'
        $run.Output | Should -Not -Match 'MailKit loaded'
    }
}
