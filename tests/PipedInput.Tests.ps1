# What may come down the pipeline into Send-CompositeMail besides backends and spool items: paths as text (issue 14:
# Send-MailMessage attaches them), rows whose properties PowerShell cannot bind (issue 11: refused, never sent
# without the value), and inputs that are neither.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Plain = Start-TestSmtpServer -Mode plain
    $script:Files = Join-Path $TestDrive 'files'
    $null = New-Item -ItemType Directory -Path $script:Files
    Set-Content -Path (Join-Path $script:Files 'a.log') -Value 'first'
    Set-Content -Path (Join-Path $script:Files 'b.log') -Value 'second'
    $memory = New-MailBackend -Memory
    Send-CompositeMail -Backend $memory -From ops@example.com -To jane@example.com -Subject 'Saved as eml' -Body 'As it is' | Out-Null
    $script:Eml = Join-Path $script:Files 'saved.eml'
    Set-Content -Path $script:Eml -Value $memory.Messages[0].ToString() -NoNewline

    function Get-NewMessage([int] $Before) { @(Get-TestSmtpMessage $Plain) | Select-Object -Skip $Before }

    function ConvertFrom-Rows {
        <# Rows as Import-Csv makes them: every value text, an empty cell an empty string. #>
        param([string] $Csv)
        $path = Join-Path $TestDrive "rows-$([guid]::NewGuid().ToString('N')).csv"
        Set-Content -Path $path -Value $Csv.Trim()
        Import-Csv -Path $path
    }
}

AfterAll { $script:Plain | Stop-TestSmtpServer }

Describe 'Paths piped as text, as Send-MailMessage takes them' {
    It 'attaches every path piped in to ONE message in the Send-MailMessage form, relative paths from the current location' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        Push-Location $Files
        try { 'a.log', (Join-Path $Files 'b.log') | Send-CompositeMail -To jane@example.com -Subject 'text paths' -From ops@example.com -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorAction Stop }
        finally { Pop-Location }

        $received = @(Get-NewMessage $before)
        $received.Count | Should -Be 1
        @($received[0].Message.Attachments | ForEach-Object FileName) | Should -Be 'a.log', 'b.log'
    }

    It 'attaches paths and FileInfo objects piped in together, with -Backend' {
        $memory = New-MailBackend -Memory
        $result = (Join-Path $Files 'a.log'), (Get-Item (Join-Path $Files 'b.log')) | Send-CompositeMail -Backend $memory @Mail

        $result.Succeeded | Should -BeTrue
        $memory.Messages.Count | Should -Be 1
        $memory.Messages[0].ToString() | Should -Match 'filename=a\.log'
        $memory.Messages[0].ToString() | Should -Match 'filename=b\.log'
    }

    It 'refuses the message when a piped path names no file, with the path as target, and sends nothing' {
        $memory = New-MailBackend -Memory
        (Join-Path $Files 'a.log'), (Join-Path $Files 'missing.log') | Send-CompositeMail -Backend $memory @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -BeLike '*missing.log'
    }

    It 'sends .eml paths piped as text as they are when no message parameter is given' {
        $memory = New-MailBackend -Memory
        $result = $Eml | Send-CompositeMail -Backend $memory

        $result.Succeeded | Should -BeTrue
        $memory.Messages[0].Subject | Should -Be 'Saved as eml'
    }

    It 'refuses a path piped as text that is not .eml when no message parameter is given' {
        $memory = New-MailBackend -Memory
        (Join-Path $Files 'a.log') | Send-CompositeMail -Backend $memory -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -Match 'not an \.eml file'
    }
}

Describe 'Rows and files told apart by the input itself' {
    It 'sends each row of a mail merge whose rows have a FullName or Path column (not files)' {
        $rows = ConvertFrom-Rows @"
Email,FullName,Path
jane@example.com,Jane Doe,\\server\home\jane
joe@example.com,Joe Bloggs,\\server\home\joe
"@
        $memory = New-MailBackend -Memory
        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -To { $_.Email } -Subject { "Hi $($_.FullName)" } -Body b -ErrorAction Stop

        $results.Subject | Should -Be 'Hi Jane Doe', 'Hi Joe Bloggs'
        $memory.Messages.To | Should -Be 'jane@example.com', 'joe@example.com'
    }

    It 'takes objects with only a path property (Resolve-Path, Select-Object FullName) as files' {
        $memory = New-MailBackend -Memory
        $null = @(Resolve-Path (Join-Path $Files 'a.log')) + @(Get-Item (Join-Path $Files 'b.log') | Select-Object FullName) |
            Send-CompositeMail -Backend $memory @Mail -ErrorAction Stop

        $memory.Messages.Count | Should -Be 1
        $memory.Messages[0].ToString() | Should -Match 'filename=a\.log'
        $memory.Messages[0].ToString() | Should -Match 'filename=b\.log'
    }

    It 'sends a row that follows an input which bound -Path (PowerShell keeps -Path in $PSBoundParameters)' {
        $memory = New-MailBackend -Memory
        $results = [pscustomobject]@{ FullName = $Eml }, [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'row'; Body = 'b' } |
            Send-CompositeMail -Backend $memory -ErrorAction Stop

        $results.Subject | Should -Be 'Saved as eml', 'row'
        $memory.Messages.Subject | Should -Be 'Saved as eml', 'row'
    }
}

Describe 'A row with a property PowerShell cannot bind is refused, never sent without it' {
    It 'refuses <Column> = <Value>, with the value as target, and sends the other rows in order (-ThrottleLimit <Width>)' -ForEach @(
        foreach ($width in 1, 2, 4) {
            @{ Column = 'Priority'; Value = 'Bogus'; Width = $width }
            @{ Column = 'DeliveryNotificationOption'; Value = 'Bogus'; Width = $width }
            @{ Column = 'Headers'; Value = 'text'; Width = $width }
            @{ Column = 'InlineAttachments'; Value = 'logo.png'; Width = $width }
            @{ Column = 'BodyAsHtml'; Value = 'maybe'; Width = $width }
        }
    ) {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,$Column
jane@example.com,first,b,
jane@example.com,bad,b,$Value
jane@example.com,third,b,
jane@example.com,fourth,b,
"@
        $memory = New-MailBackend -Memory
        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -ThrottleLimit $Width -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Be $Value
        "$($failures[0])" | Should -Match "-$Column\b"
        $results.Subject | Should -Be 'first', 'third', 'fourth'
        # Results keep the input order; a backend's own list is in the order its workers finished.
        $memory.Messages.Subject | Sort-Object | Should -Be 'first', 'fourth', 'third'
    }

    It 'refuses a bad value after a row that bound the same parameter (PowerShell keeps that one in $PSBoundParameters)' {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,Priority
jane@example.com,high,b,High
jane@example.com,bogus,b,Bogus
"@
        $memory = New-MailBackend -Memory
        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].TargetObject | Should -Be 'Bogus'
        $results.Subject | Should -Be 'high'
    }

    It 'stops at the bad row under -ErrorAction Stop, after delivering the rows before it' {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,Priority
jane@example.com,first,b,High
jane@example.com,bad,b,Bogus
jane@example.com,after,b,Low
"@
        $memory = New-MailBackend -Memory
        { $rows | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop } | Should -Throw '*-Priority*'
        $memory.Messages.Subject | Should -Be 'first'
    }

    It 'takes <Value> in a BodyAsHtml column as <Html>' -ForEach @(
        @{ Value = 'True'; Html = $true }, @{ Value = 'false'; Html = $false }, @{ Value = '1'; Html = $true }
        @{ Value = '0'; Html = $false }, @{ Value = 'Yes'; Html = $true }, @{ Value = ''; Html = $false }
    ) {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,BodyAsHtml
jane@example.com,html?,<b>b</b>,$Value
"@
        $memory = New-MailBackend -Memory
        $null = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop

        $type = if ($Html) { 'text/html' } else { 'text/plain' }
        $memory.Messages[0].ToString() | Should -Match "Content-Type: $type"
    }

    It 'takes an empty cell as not given (Priority and DeliveryNotificationOption keep their defaults)' {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,Priority,DeliveryNotificationOption,Encoding
jane@example.com,empty cells,b,,,
"@
        $memory = New-MailBackend -Memory
        ($rows | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop).Succeeded | Should -BeTrue
        $memory.Messages[0].ToString() | Should -Not -Match 'X-Priority'
    }

    It 'takes -Encoding from a row, as Send-MailMessage declares it' {
        $rows = ConvertFrom-Rows @"
To,Subject,Body,Encoding
jane@example.com,latin,café,latin1
jane@example.com,default,café,
"@
        $memory = New-MailBackend -Memory
        $null = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop

        $memory.Messages[0].ToString() | Should -Match 'charset=iso-8859-1'
        $memory.Messages[1].ToString() | Should -Match 'charset=utf-8'
    }

    It 'refuses a row that names the SMTP connection (<Column>): the call''s own, from the command line' -ForEach @(
        @{ Column = 'SmtpServer'; Value = 'other.example.com' }, @{ Column = 'ComputerName'; Value = 'other.example.com' }
        @{ Column = 'Port'; Value = '2525' }, @{ Column = 'UseSsl'; Value = 'True' }, @{ Column = 'Credential'; Value = 'mailer' }
    ) {
        $before = @(Get-TestSmtpMessage $Plain).Count
        $rows = ConvertFrom-Rows @"
To,Subject,Body,$Column
jane@example.com,own server,b,$Value
jane@example.com,call's server,b,
"@
        $rows | Send-CompositeMail -From ops@example.com -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject | Should -Be $Value
        "$($failures[0])" | Should -Match 'command line'
        @(Get-NewMessage $before | ForEach-Object { $_.Message.Subject }) | Should -Be "call's server"
    }
}

Describe 'What is read of a row' {
    It 'does not make text of a row''s other values (a batch pays for it on every row)' {
        # PowerShell's binder asked each input for its text (a custom object's lists every property with its value's
        # text) for a trace line nobody reads: a value's ToString ran on every row.
        class TextProbe { static [int] $Made; [string] ToString() { [TextProbe]::Made++; return 'probe' } }
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ To = 'jane@example.com'; Subject = "Row $_"; Audit = [TextProbe]::new() } }
        $memory = New-MailBackend -Memory
        $results = $rows | Send-CompositeMail -Backend $memory -From ops@example.com -Body 'b'

        $results.Succeeded | Should -Be $true, $true, $true
        [TextProbe]::Made | Should -Be 0
    }

    It 'still refuses an object whose class hides a property naming the SMTP connection' {
        class HiddenServerRow { [string] $To = 'jane@example.com'; [string] $Subject = 'hidden'; hidden [string] $SmtpServer = 'other.example.com' }
        $memory = New-MailBackend -Memory
        [HiddenServerRow]::new() | Send-CompositeMail -Backend $memory -From ops@example.com -Body 'b' -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match 'command line'
        $memory.Messages.Count | Should -Be 0
    }
}

Describe 'The one message sent after the last input carries only the command line''s values' {
    It 'does not take a refused row''s Bcc, body or attachments into the message of piped backends' {
        $memory = New-MailBackend -Memory
        $null = $memory, [pscustomobject]@{ Bcc = 'outsider@example.com'; Body = 'row body'; Attachments = (Join-Path $Files 'a.log') } |
            Send-CompositeMail @Mail -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 1
        $memory.Messages[0].Bcc | Should -BeNullOrEmpty
        $memory.Messages[0].ToString() | Should -Not -Match 'row body|a\.log'
    }

    It 'sends the piped files'' message without the last row''s values, over SMTP (the row refused for Priority Bogus)' {
        $before = @(Get-TestSmtpMessage $Plain).Count
        (Join-Path $Files 'a.log'), [pscustomobject]@{ Bcc = 'outsider@example.com'; Priority = 'Bogus' } |
            Send-CompositeMail -From ops@example.com -To boss@example.com -Subject 'files' -SmtpServer 127.0.0.1 -Port $Plain.Port -ErrorAction SilentlyContinue

        $received = @(Get-NewMessage $before)
        $received.Count | Should -Be 1
        $received[0].RcptTo | Should -Be 'boss@example.com'
    }

    It 'keeps piped files out of the rows'' messages, and the rows'' values out of the files'' message' {
        $memory = New-MailBackend -Memory
        $null = (Get-Item (Join-Path $Files 'a.log')), [pscustomobject]@{ Cc = 'row-cc@example.com'; Subject = 'row' } |
            Send-CompositeMail -Backend $memory -From ops@example.com -To boss@example.com -Body b -ErrorAction Stop

        $memory.Messages.Count | Should -Be 2
        $row = $memory.Messages | Where-Object Subject -EQ 'row'
        $files = $memory.Messages | Where-Object Subject -NE 'row'
        $row.ToString() | Should -Not -Match 'filename=a\.log'
        $files.ToString() | Should -Match 'filename=a\.log'
        $files.Cc | Should -BeNullOrEmpty
    }
}

Describe 'Spool items piped into a call with message parameters' {
    It 'refuses each item (it would be a new message without its body) and leaves it in the spool' {
        $spool = Join-Path $TestDrive "spool-$([guid]::NewGuid().ToString('N'))"
        $down = New-MailBackend -ScriptBlock { throw 'down' }
        $null = Send-CompositeMail -Backend $down @Mail -Attachments (Join-Path $Files 'a.log') -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $memory = New-MailBackend -Memory

        Get-MailSpool $spool | Send-CompositeMail -Backend $memory -From other@example.com -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -Match 'resent as it is.*-From'
        @(Get-MailSpool $spool).Count | Should -Be 1
    }

    It 'does not resend an item piped after backends, which it reports as refused' {
        $spool = Join-Path $TestDrive "spool-$([guid]::NewGuid().ToString('N'))"
        $down = New-MailBackend -ScriptBlock { throw 'down' }
        $null = Send-CompositeMail -Backend $down @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue
        $memory = New-MailBackend -Memory

        $memory, (Get-MailSpool $spool) | Send-CompositeMail -ErrorVariable failures -ErrorAction SilentlyContinue

        "$($failures[0])" | Should -Match 'piped in together'
        $memory.Messages.Count | Should -Be 0
        @(Get-MailSpool $spool).Count | Should -Be 1
    }
}

Describe 'Files named exactly' {
    BeforeAll {
        $script:Brackets = Join-Path $TestDrive 'brackets'
        $null = New-Item -ItemType Directory -Path $Brackets
        Set-Content -LiteralPath (Join-Path $Brackets 'rep[1].log') -Value 'the one meant'
        Set-Content -LiteralPath (Join-Path $Brackets 'rep1.log') -Value 'another file'
        Set-Content -LiteralPath (Join-Path $Brackets 'msg[1].eml') -Value ($memorySaved = Get-Content $Eml -Raw) -NoNewline
        Set-Content -LiteralPath (Join-Path $Brackets 'msg1.eml') -Value ((Get-Content $Eml -Raw) -replace 'Saved as eml', 'The wrong message') -NoNewline
    }

    It 'attaches the FileInfo piped in, not a file its name matches as a wildcard' {
        $memory = New-MailBackend -Memory
        $null = Get-Item -LiteralPath (Join-Path $Brackets 'rep[1].log') | Send-CompositeMail -Backend $memory @Mail -ErrorAction Stop

        $memory.Messages[0].ToString() | Should -Match 'filename="?rep\[1\]\.log'
        $memory.Messages[0].ToString() | Should -Not -Match 'filename="?rep1\.log'
    }

    It 'sends the .eml FileInfo piped in, not another message its name matches' {
        $memory = New-MailBackend -Memory
        $null = Get-Item -LiteralPath (Join-Path $Brackets 'msg[1].eml') | Send-CompositeMail -Backend $memory -ErrorAction Stop

        $memory.Messages.Subject | Should -Be 'Saved as eml'
    }

    It 'refuses a blank path piped in' {
        $memory = New-MailBackend -Memory
        '  ' | Send-CompositeMail -Backend $memory @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match 'blank path'
        $memory.Messages.Count | Should -Be 0
    }

    It 'takes no file from an object that has other properties beside its Path (<Name>)' -ForEach @(
        @{ Name = 'a process'; Make = { Get-Process -Id $PID } }
        @{ Name = 'a row with a Path column'; Make = { [pscustomobject]@{ Name = 'x'; Path = (Join-Path $Files 'a.log') } } }
    ) {
        $memory = New-MailBackend -Memory
        & $Make | Send-CompositeMail -Backend $memory @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        "$($failures[0])" | Should -Match 'neither a message nor a file'
    }
}

Describe 'Text values that PowerShell would drop or mangle' {
    It 'refuses a row whose <Column> is <Kind>, instead of sending it <Instead>' -ForEach @(
        @{ Column = 'Body'; Kind = 'an array of lines'; Value = @('line1', 'line2'); Instead = 'with an empty body' }
        @{ Column = 'Subject'; Kind = 'an array'; Value = @('one', 'two'); Instead = 'without a subject' }
        @{ Column = 'Subject'; Kind = 'a hashtable'; Value = @{ a = 1 }; Instead = 'with the subject System.Collections.Hashtable' }
        @{ Column = 'To'; Kind = 'a nested array'; Value = @('a@example.com', @('b@example.com')); Instead = 'with a wrong error' }
    ) {
        $row = [ordered]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 's'; Body = 'b' }
        $row[$Column] = $Value
        $memory = New-MailBackend -Memory
        $results = [pscustomobject]$row, [pscustomobject]@{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'after'; Body = 'b' } |
            Send-CompositeMail -Backend $memory -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -Match "-$Column\b"
        $results.Subject | Should -Be 'after'
    }
}

Describe 'Inputs that are neither rows nor files' {
    It 'refuses <Name> with a clear error and sends the row after it' -ForEach @(
        @{ Name = 'a number'; Make = { 42 }; Hint = 'neither a message nor a file' }
        @{ Name = 'a hashtable'; Make = { @{ To = 'jane@example.com'; Subject = 'hashtable' } }; Hint = 'pscustomobject' }
        @{ Name = 'a backend with -Backend on the command line'; Make = { New-MailBackend -Null }; Hint = 'Backends are piped in only when -Backend is not given' }
    ) {
        $memory = New-MailBackend -Memory
        $results = (& $Make), [pscustomobject]@{ To = 'jane@example.com'; Subject = 'after' } |
            Send-CompositeMail -Backend $memory -From ops@example.com -Body b -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -BeLike "*$Hint*"
        $results.Subject | Should -Be 'after'
    }

    It 'refuses a row piped after backends, and still sends the command line''s message through them' {
        $memory = New-MailBackend -Memory
        $results = $memory, [pscustomobject]@{ To = 'row@example.com'; Subject = 'row' } |
            Send-CompositeMail @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($failures[0])" | Should -Match 'piped in together'
        $results.Subject | Should -Be $Mail.Subject
        $memory.Messages.Subject | Should -Be $Mail.Subject
    }

    It 'makes a row of any input when a message parameter is a delay-bind script block' {
        $memory = New-MailBackend -Memory
        $results = 1, 2 | Send-CompositeMail -Backend $memory @Mail -Subject { "Report $_" } -ErrorAction Stop

        $results.Subject | Should -Be 'Report 1', 'Report 2'
    }

    It 'makes a row of text and of files too when a delay-bind script block asks for one' {
        $memory = New-MailBackend -Memory
        $results = 'jane@example.com', 'bob@example.com' | Send-CompositeMail -Backend $memory -From ops@example.com -To { $_ } -Subject hi -Body b -ErrorAction Stop
        $results.To | Should -Be 'jane@example.com', 'bob@example.com'

        $memory = New-MailBackend -Memory
        $results = Get-ChildItem (Join-Path $Files '*.log') | Send-CompositeMail -Backend $memory @Mail -Subject { "Report $($_.Name)" } -Attachments { $_.FullName } -ErrorAction Stop
        $results.Subject | Should -Be 'Report a.log', 'Report b.log'
        $memory.Messages[1].ToString() | Should -Match 'filename=b\.log'
        $memory.Messages[1].ToString() | Should -Not -Match 'filename=a\.log'
    }
}

Describe 'Piped input with -Path or delay-bind script blocks on the command line' {
    It 'sends -Path''s message once, whatever is piped in, and refuses each piped input' {
        $memory = New-MailBackend -Memory
        $null = 'x1', 'x2', 'x3' | Send-CompositeMail -Backend $memory -Path $Eml -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Subject | Should -Be 'Saved as eml'
        $failures.Count | Should -Be 3
        "$($failures[0])" | Should -Match '-Path on the command line'
    }

    It 'refuses to send through piped backends a message whose delay-bind script block has no row to read' {
        $memory = New-MailBackend -Memory
        $null = $memory | Send-CompositeMail -From ops@example.com -To jane@example.com -Subject { "S $_" } -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match '-Subject is a script block'
    }

    It 'refuses a row with a PSPath property (Send-MailMessage attached it), rather than send it without the file' {
        $memory = New-MailBackend -Memory
        [pscustomobject]@{ To = 'jane@example.com'; Subject = 's'; PSPath = (Join-Path $Files 'a.log') } |
            Send-CompositeMail -Backend $memory -From ops@example.com -Body b -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        "$($failures[0])" | Should -Match 'Attachments property'
    }

    It 'refuses a hashtable in an address or attachment column with the reason' {
        $memory = New-MailBackend -Memory
        [pscustomobject]@{ To = @{ a = 1 }; Subject = 's' } | Send-CompositeMail -Backend $memory -From ops@example.com -Body b -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        "$($failures[0])" | Should -Match 'holds a Hashtable.*not a valid -To'
    }
}
