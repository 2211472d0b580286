BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/report.ps1
    # Colours of the report's styles (src/PSCompositeMail.Engine/Reports/ReportStyle.cs).
    $script:CriticalBackground = '#fad2cf'
    $script:WarningBackground = '#feefc3'
    $script:GoodBackground = '#ceead6'
    $script:BarFill = '#1a73e8'
    $script:Services = @(
        [pscustomobject]@{ Name = 'alpha'; Used = 10; State = 'down' }
        [pscustomobject]@{ Name = 'bravo'; Used = 50; State = 'up' }
        [pscustomobject]@{ Name = 'charlie'; Used = 90; State = 'slow' }
        [pscustomobject]@{ Name = 'delta'; Used = 30; State = 'up' }
    )
    $script:ServiceStyles = @{ Critical = { $_.State -eq 'down' }; Warning = { $_.State -eq 'slow' }; Good = { $_.Name -eq 'delta' } }
    $script:Shots = Join-Path $TestDrive 'shots'
    $null = New-Item -ItemType Directory -Path $script:Shots
}

Describe 'ConvertTo-MailHtml: the HTML' {
    It 'is a whole document whose every style is inline: no style, script, form, link, image or external URL' {
        $body = $Services | ConvertTo-MailHtml -Title 'Nightly' -Markdown "Intro with a [link](https://example.com/x) and ![a tracker](https://tracker.example.com/p.png)" -Bar Used -Highlight $ServiceStyles

        $body | Should -BeOfType PSCompositeMail.Reports.MailBody
        $body.Html | Should -Match '(?s)^<!DOCTYPE html><html>.*</html>$'
        $body.Html | Should -Not -Match '<style|<script|<form|<input|<link|<img|<iframe|<object|<svg|\bclass=|\bsrc=|url\('
        $body.Html | Should -Match '<td[^>]*style="[^"]*background-color: #fad2cf'
        # Only links may name a URL, and only the one the Markdown gave; the image is its alt text.
        [regex]::Matches($body.Html, 'https?://[^"<\s]+').Value | Should -Be 'https://example.com/x'
        $body.Html | Should -Match 'a tracker'
        # Explicit widths for the layout: the page is 600 px wide in Outlook (which reads the attribute), elsewhere as
        # wide as the window up to 600 px.
        $body.Html | Should -Match '<table[^>]*width="600"[^>]*width: 100%;max-width: 600px'
    }

    It 'escapes every value, the title and the pre- and post-content: <script>, & and non-ASCII text' {
        $hostile = '<script>alert(1)</script> & Co — Grüße ✓ 東京'
        $body = [pscustomobject]@{ Name = $hostile; Other = '<b>x</b>' } |
            ConvertTo-MailHtml -Title "Title $hostile" -PreContent "Pre $hostile" -PostContent '<i>post</i>'

        $body.Html | Should -Not -Match '<script|<b>|<i>'
        $body.Html | Should -Match ([regex]::Escape('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co — Grüße ✓ 東京'))
        $body.Html | Should -Match ([regex]::Escape('<title>Title &lt;script&gt;'))
        $body.Html | Should -Match ([regex]::Escape('Pre &lt;script&gt;'))
        $body.Html | Should -Match ([regex]::Escape('&lt;i&gt;post&lt;/i&gt;'))
        $body.Text | Should -Match ([regex]::Escape($hostile))
    }

    It 'renders -Markdown as CommonMark, shows raw HTML in it as text, and keeps only http, https and mailto links' {
        $markdown = "# Heading`n`nSome **bold** and <b onclick=`"x()`">raw</b>.`n`n- one`n- two`n`n[bad](javascript:alert(1)) [mail](mailto:ops@example.com)"
        $body = $Services | ConvertTo-MailHtml -Markdown $markdown

        $body.Html | Should -Match '<h1[^>]*>Heading</h1>'
        $body.Html | Should -Match '<strong>bold</strong>'
        $body.Html | Should -Match '&lt;b onclick="x\(\)"&gt;raw&lt;/b&gt;'
        $body.Html | Should -Match '<li[^>]*>one</li>'
        $body.Html | Should -Not -Match 'javascript:'
        $body.Html | Should -Match 'href="mailto:ops@example.com"'
        $body.Text | Should -Match '(?m)^Heading$'
        $body.Text | Should -Match 'Some bold and <b onclick="x\(\)">raw</b>\.'
    }
}

Describe 'ConvertTo-MailHtml: columns and values' {
    It 'takes the first object''s properties as ConvertTo-Html does, and -Property''s names, wildcards and calculated properties in order' {
        ($Services | ConvertTo-MailHtml).Text | Should -Match '(?m)^Name\s+Used\s+State$'
        $text = ($Services | ConvertTo-MailHtml -Property State, N*, @{ Name = 'Double'; Expression = { $_.Used * 2 } }).Text
        $text | Should -Match '(?m)^State\s+Name\s+Double$'
        $text | Should -Match '(?m)^slow\s+charlie\s+180$'
    }

    It 'shows values as PowerShell shows them in the session''s culture: dates, numbers, booleans, $null, collections' {
        $culture = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            $when = [datetime]::new(2026, 12, 7, 9, 30, 0)
            $body = [pscustomobject]@{ When = $when; Ratio = 3.5; Ok = $true; Missing = $null; Items = 1, 2 } | ConvertTo-MailHtml
            $expected = '{0}  {1}  {2}  {3}  {4}' -f $when.ToString(), '3,5', 'True', '', '{1, 2}'
        }
        finally { [cultureinfo]::CurrentCulture = $culture }

        $lines = $body.Text -split "`n"
        ($lines[2] -replace '\s+', ' ') | Should -Be (($expected -replace '\s+', ' ').Trim())
        $body.Html | Should -Match ([regex]::Escape('>3,5</td>'))
    }

    It 'writes the text with the title, the Markdown as text and the table in aligned columns, numbers on the right' {
        $text = ($Services | ConvertTo-MailHtml -Title 'Services' -Markdown 'All **four**.' -Highlight $ServiceStyles).Text
        $lines = $text -split "`n"
        $lines[0..1] | Should -Be 'Services', '========'
        $lines[3] | Should -Be 'All four.'
        $table = $lines[5..10]
        $table[0] | Should -Match '^\s+Name\s+Used\s+State$'
        $table[2] | Should -Match '^CRITICAL\s+alpha\s+10\s+down$'
        $table[4] | Should -Match '^WARNING\s+charlie\s+90\s+slow$'
        # Every line puts each column at the same offset; the numbers end where the header ends.
        $state = $table[0].IndexOf('State')
        $table[2..5] | ForEach-Object { $_.Substring($state) | Should -Match '^(down|up|slow)$' }
        $usedEnd = $table[0].IndexOf('Used') + 4
        $table[2..5] | ForEach-Object { $_.Substring($usedEnd - 2, 2) | Should -Match '^\d\d$' }
    }
}

Describe 'ConvertTo-MailHtml: -Property as Select-Object takes it' {
    It 'keeps the row of a calculated property that throws, its cell empty, and names the row and column in the error' {
        $rows = [pscustomobject]@{ Name = 'a'; Size = 10 }, [pscustomobject]@{ Name = 'b'; Size = 0 }, [pscustomobject]@{ Name = 'c'; Size = 5 }
        $body = $rows | ConvertTo-MailHtml -Property Name, @{ Name = 'Per'; Expression = { if ($_.Size -eq 0) { throw 'no size' }; 100 / $_.Size } } -ErrorVariable failures -ErrorAction SilentlyContinue

        $body.RowCount | Should -Be 3
        $body.Text | Should -Match '(?m)^b$'
        $body.Text | Should -Match '(?m)^c\s+20$'
        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match "-Property 'Per' failed for row 2 \(Name 'b'\), whose cell is left empty: no size"
        $failures[0].FullyQualifiedErrorId | Should -Match '^PropertyFailed'
    }

    It 'names the row for errors that do not throw by themselves (division by zero, a missing property under Set-StrictMode), and stops at them under -ErrorAction Stop' {
        # In a fresh PowerShell with the default error action, as in a console or scheduled task (Pester runs tests under Stop).
        $script = Join-Path $TestDrive 'strict.ps1'
        Set-Content -Path $script -Value @"
Import-Module '$ModulePath'
`$rows = [pscustomobject]@{ Name = 'a'; Size = 10 }, [pscustomobject]@{ Name = 'b' }, [pscustomobject]@{ Name = 'c'; Size = 0 }
`$out = `$rows | ConvertTo-MailHtml -Property Name, Size -Highlight @{ Critical = { 1 / `$_.Size -gt 1 } } 2>&1
`$out | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { "error: `$_" }
"rows: `$((`$out | Where-Object { `$_ -is [PSCompositeMail.Reports.MailBody] }).RowCount)"
Set-StrictMode -Version Latest
try { `$r = `$rows[0..1] | ConvertTo-MailHtml -Property Name, @{ n = 'GB'; e = { `$_.Size * 2 } } -ErrorAction Stop; "not stopped: `$(`$r.RowCount)" }
catch { "stopped: `$_" }
"@
        $run = Invoke-TestPwsh -File $script
        $run.Output | Should -Match "error: -Highlight Critical failed for row 3 \(Name 'c'\): .*divide by zero"
        $run.Output | Should -Match 'rows: 3'
        $run.Output | Should -Match "stopped: -Property 'GB' failed for row 2 \(Name 'b'\).*Size"
    }

    It 'computes a script block in -Property as Select-Object does, named by its text, also beside *' {
        $row = [pscustomobject]@{ x = 1; y = 2 }
        ($row | ConvertTo-MailHtml -Property x, { $_.x + 1 }).Text | Should -Match '(?m)^x\s+\$_\.x \+ 1\s*\r?\n-+\s+-+\s*\r?\n1\s+2$'
        ($row | ConvertTo-MailHtml -Property *, { $_.y * 10 }).Text | Should -Match '(?m)^x\s+y\s+\$_\.y \* 10\s*\r?\n[- ]+\r?\n1\s+2\s+20$'
    }

    It 'takes a property name holding [ ] as the property of that name before taking it as a pattern' {
        $body = [pscustomobject]@{ Drive = 'C'; 'Used [%]' = 95 } | ConvertTo-MailHtml -Property Drive, 'Used [%]' -Bar 'Used [%]' -WarningVariable warnings -WarningAction SilentlyContinue
        $body.Text | Should -Match '(?m)^Drive\s+Used \[%\]'
        $body.Text | Should -Match '(?m)^C\s+95 \[#+'
        $warnings.Count | Should -Be 0
    }

    It 'takes a hashtable''s keys as the columns, as ConvertTo-Html does' {
        $text = (@{ Name = 'web'; Port = 443 }, @{ Name = 'mail'; Port = 25 } | ConvertTo-MailHtml -Property Name, Port).Text
        $text | Should -Match '(?m)^Name\s+Port$'
        $text | Should -Match '(?m)^web\s+443$'
        $default = ([ordered]@{ Name = 'web'; Port = 443 } | ConvertTo-MailHtml).Text
        $default | Should -Match '(?m)^Name\s+Port$'
        $default | Should -Not -Match 'IsReadOnly|Keys'
    }

    It 'tests -Highlight against the row as shown: calculated columns by their names, the input''s other properties too' {
        $volumes = [pscustomobject]@{ Drive = 'C'; Size = 100GB; SizeRemaining = 5GB }, [pscustomobject]@{ Drive = 'F'; Size = 10GB; SizeRemaining = 9GB }
        $body = $volumes | ConvertTo-MailHtml -Property Drive, @{ Name = 'Used %'; Expression = { [math]::Round(100 - 100 * $_.SizeRemaining / $_.Size) } } -Bar 'Used %' `
            -Highlight @{ Critical = { $_.'Used %' -gt 90 }; Warning = { $_.SizeRemaining -lt 1GB }; Good = { $true } }

        $body.Text | Should -Match '(?m)^CRITICAL\s+C\s+95'
        $body.Text | Should -Match '(?m)^GOOD\s+F\s+10'
        $body.Highlighted.Critical | Should -Be 1
    }
}

Describe 'ConvertTo-MailHtml: values as PowerShell shows them' {
    It 'shows at most $FormatEnumerationLimit items of a collection, as PowerShell''s tables do' {
        $body = [pscustomobject]@{ Name = 'a'; Items = 1..100000 } | ConvertTo-MailHtml
        $body.Text | Should -Match '(?m)^a\s+\{1, 2, 3, 4…\}$'
        $body.Html.Length | Should -BeLessThan 20KB

        $FormatEnumerationLimit = 2
        ([pscustomobject]@{ Items = 1..3 } | ConvertTo-MailHtml).Text | Should -Match '\{1, 2…\}'
        $FormatEnumerationLimit = -1
        ([pscustomobject]@{ Items = 1..6 } | ConvertTo-MailHtml).Text | Should -Match '\{1, 2, 3, 4, 5, 6\}'
    }

    It 'shows doubles as PowerShell does, a hashtable as its entries, and control and bidi characters as escapes in both parts' {
        $body = [pscustomobject]@{ Sum = 0.1 + 0.2; Map = @{ k = 1 }; Name = "evil`u{202E}txt.exe`e]0;title`a" } | ConvertTo-MailHtml
        $body.Text | Should -Match '(?m)^0[.,]3\s'
        $body.Text | Should -Not -Match 'System\.Collections\.Hashtable'
        $body.Text | Should -Match '\{\[k, 1\]\}'
        foreach ($part in $body.Text, $body.Html) {
            $part | Should -Not -Match "[`u{202E}`e`a]"
            $part | Should -Match ([regex]::Escape('evil\u202Etxt.exe\x1B]0;title\x07'))
        }
    }

    It 'draws bars for [bigint] values, and skips only the cells that are NaN or infinite' {
        $body = [pscustomobject]@{ Big = [bigint]50; Ratio = 40 }, [pscustomobject]@{ Big = [bigint]100; Ratio = [double]::NaN }, [pscustomobject]@{ Big = [bigint]20; Ratio = [double]::PositiveInfinity } |
            ConvertTo-MailHtml -Bar Big, Ratio -WarningVariable warnings -WarningAction SilentlyContinue

        $warnings.Count | Should -Be 0
        $widths = [regex]::Matches($body.Html, '<td width="(\d+)%" height="10(?:px)?" bgcolor="#1a73e8"') | ForEach-Object { [int]$_.Groups[1].Value }
        $widths | Should -Be 50, 40, 100, 20
    }

    It 'warns when the HTML is past what Gmail shows whole (102 KB), and renders a large table' {
        $rows = 1..1500 | ForEach-Object { [pscustomobject]@{ Id = $_; Name = "row $_"; State = 'up' } }
        $body = $rows | ConvertTo-MailHtml -WarningVariable warnings -WarningAction SilentlyContinue
        $body.RowCount | Should -Be 1500
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'Gmail shows only the first 102 KB'
        $small = $Services | ConvertTo-MailHtml -WarningVariable none -WarningAction SilentlyContinue
        $none.Count | Should -Be 0
    }
}

Describe 'ConvertTo-MailHtml: the text part of the Markdown' {
    It 'keeps link targets, list bullets and numbers, quotes, code and the blank lines between paragraphs' {
        $markdown = "First paragraph, see the [runbook](https://wiki.example.com/runbook).`n`nSecond paragraph.`n`n1. first`n2. second`n`n- a`n- b`n`n> quoted`n`n    Get-Service spooler`n`n<https://status.example.com>"
        $text = ($Services | ConvertTo-MailHtml -Markdown $markdown).Text -replace "`r`n", "`n"

        $text | Should -Match ([regex]::Escape("First paragraph, see the runbook (https://wiki.example.com/runbook).`n`nSecond paragraph.`n`n1. first`n2. second`n`n- a`n- b`n`n> quoted`n`nGet-Service spooler`n`nhttps://status.example.com`n"))
    }

    It 'escapes control characters and bidi overrides in the title and the Markdown, and in Format-List of the report' {
        $hostile = "x`e]0;owned`a`u{202E}y"
        $body = $Services | ConvertTo-MailHtml -Title $hostile -Markdown "Note $hostile" -PreContent $hostile
        foreach ($shown in $body.Text, $body.Html, ($body | Format-List | Out-String), ($body | Out-String)) {
            $shown | Should -Not -Match "[`e`a`u{202E}]"
        }
        $body.Text | Should -Match ([regex]::Escape('x\x1B]0;owned\x07\u202Ey'))
    }
}

Describe 'ConvertTo-MailHtml -Highlight and -Bar' {
    It 'shows a MailBody as one line: its title, rows, highlighted rows and size' {
        $Services | ConvertTo-MailHtml -Title 'Nightly' -Highlight $ServiceStyles | Out-String -Width 200 |
            Should -Match 'Title\s+Rows\s+Highlighted\s+Size\s+-+\s+-+\s+-+\s+-+\s+Nightly\s+4\s+Critical 1, Warning 1, Good 1\s+[\d.,]+ KB'
    }

    It 'gives a row the first style whose test holds, in the order Critical, Warning, Good, with its marker' {
        $body = $Services | ConvertTo-MailHtml -Highlight @{ Good = { $true }; Critical = { $_.Name -eq 'alpha' }; Warning = { $_.Used -ge 50 } }

        $body.Highlighted.Critical | Should -Be 1
        $body.Highlighted.Warning | Should -Be 2
        $body.Highlighted.Good | Should -Be 1
        $body.Text | Should -Match '(?m)^CRITICAL\s+alpha'
        $body.Text | Should -Match '(?m)^WARNING\s+bravo'
        $body.Text | Should -Match '(?m)^GOOD\s+delta'
        $body.Html | Should -Match '<td[^>]*font-weight: bold[^>]*>CRITICAL</td>'
    }

    It 'draws bars as percentages for values from 0 to 100 and scales other columns to their largest value' {
        $body = [pscustomobject]@{ Pct = 25; Bytes = 500 }, [pscustomobject]@{ Pct = 50; Bytes = 2000 } | ConvertTo-MailHtml -Bar Pct, Bytes

        $widths = [regex]::Matches($body.Html, '<td width="(\d+)%" height="10(?:px)?" bgcolor="#1a73e8"') | ForEach-Object { [int]$_.Groups[1].Value }
        $widths | Should -Be 25, 25, 50, 100
        $body.Text | Should -Match '(?m)^25 \[###       \]\s+500 \[###       \]$'
    }

    It 'refuses an unknown -Highlight key before reading any row' {
        { $Services | ConvertTo-MailHtml -Highlight @{ Critcal = { $true } } -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "*'Critcal'*Critical, Warning or Good*"
        try { $Services | ConvertTo-MailHtml -Highlight @{ Critcal = { $true } } } catch { $_.CategoryInfo.Category | Should -Be 'InvalidArgument' }
    }

    It 'refuses a -Highlight value that is not a script block' {
        { $Services | ConvertTo-MailHtml -Highlight @{ Warning = '$_.Used -gt 50' } } | Should -Throw -ExpectedMessage "*Warning is a String, not a script block*"
    }

    It 'writes an error naming the row whose test throws, and keeps the other rows' {
        $body = $Services | ConvertTo-MailHtml -Highlight @{ Critical = { if ($_.Name -eq 'bravo') { throw 'no state' }; $_.State -eq 'down' } } -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        "$($failures[0])" | Should -Match "-Highlight Critical failed for row 2 \(Name 'bravo'\): no state"
        $failures[0].TargetObject.Name | Should -Be 'bravo'
        $body.RowCount | Should -Be 4
        $body.Highlighted.Critical | Should -Be 1
    }

    It 'stops at a throwing test under -ErrorAction Stop' {
        { $Services | ConvertTo-MailHtml -Highlight @{ Good = { throw 'broken' } } -ErrorAction Stop } | Should -Throw -ExpectedMessage "*row 1 (Name 'alpha')*broken*"
    }

    It 'warns, naming the column, when -Bar names a column that is not numeric or not there, and draws no bar for it' {
        $body = $Services | ConvertTo-MailHtml -Bar State, Nope, Used -WarningVariable warnings -WarningAction SilentlyContinue

        $warnings.Count | Should -Be 2
        "$($warnings[0])" | Should -Match "column 'State' is not numeric \(it holds 'down'\)"
        "$($warnings[1])" | Should -Match "no column 'Nope'"
        @([regex]::Matches($body.Html, 'bgcolor="#1a73e8"')).Count | Should -Be 4
    }
}

Describe 'ConvertTo-MailHtml: wide tables' {
    BeforeAll {
        function New-WideRow {
            param([int] $Columns)
            $row = [ordered]@{}
            foreach ($i in 1..$Columns) { $row["C$i"] = $i }
            [pscustomobject]$row
        }
        function Get-ColumnWidth {
            param([string] $Html)
            [regex]::Matches($Html, '<th[^>]* width="([\d.]+)%"') | ForEach-Object { [double]$_.Groups[1].Value }
        }
    }

    It 'gives the marker column room for CRITICAL beside 14 short columns, and no warning' {
        $body = New-WideRow 14 | ConvertTo-MailHtml -Highlight @{ Critical = { $true } } -WarningVariable warnings -WarningAction SilentlyContinue
        $widths = @(Get-ColumnWidth $body.Html)
        $widths.Count | Should -Be 15
        # 80 of the table's 576 px.
        $widths[0] | Should -BeGreaterOrEqual 13.8
        [math]::Round(($widths | Measure-Object -Sum).Sum, 1) | Should -Be 100
        $warnings.Count | Should -Be 0
    }

    It 'warns when the columns cannot fit in 600 px, and gives none of them no width (<Columns> columns)' -ForEach @(@{ Columns = 69 }, @{ Columns = 200 }) {
        $body = New-WideRow $Columns | ConvertTo-MailHtml -WarningVariable warnings -WarningAction SilentlyContinue
        $widths = @(Get-ColumnWidth $body.Html)
        $widths.Count | Should -Be $Columns
        $widths | Where-Object { $_ -le 0 } | Should -BeNullOrEmpty
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match "The report has $Columns columns, .*600 px.*-Property"
    }
}

Describe 'ConvertTo-MailHtml beside other modules' {
    It 'renders in a session where another module already loaded an older AngleSharp, and keeps Markdig, AngleSharp and PreMailer out of PowerShell''s own context' {
        $older = Join-Path $PSScriptRoot '../tools/packages/anglesharp/0.17.1/lib/netstandard2.0/AngleSharp.dll'
        $older | Should -Exist -Because 'build.ps1 restores AngleSharp 0.17.1 for this test'
        $probe = Join-Path $TestDrive 'anglesharp.ps1'
        Set-Content $probe @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$older'
Import-Module '$ModulePath'
`$body = [pscustomobject]@{ Name = 'a'; Used = 40 } | ConvertTo-MailHtml -Markdown 'Some **bold**' -Bar Used
'inlined: ' + (`$body.Html -match '<strong>bold</strong>' -and `$body.Html -match 'style="' -and `$body.Html -notmatch 'class=')
# PowerShell's own Markdown (its Markdig.Signed) still works beside ours.
'powershell markdown: ' + (ConvertFrom-Markdown -InputObject '**x**').Html.Trim()
[System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies | Where-Object { `$_.GetName().Name -match '^(Markdig|PreMailer|AngleSharp)`$' } | ForEach-Object { 'default has ' + `$_.GetName().Name + ' ' + `$_.GetName().Version }
"@
        $run = Invoke-TestPwsh -File $probe

        $run.Output | Should -Match 'inlined: True'
        $run.Output | Should -Match 'powershell markdown: <p><strong>x</strong></p>'
        # Only the older AngleSharp the other module loaded is in the default context.
        @([regex]::Matches($run.Output, 'default has .*')).Value | Should -Be 'default has AngleSharp 0.17.1.0'
    }
}

Describe 'ConvertTo-MailHtml in pipelines that end early' {
    It 'makes its report from the rows that came when <Name>' -ForEach @(
        @{ Name = 'an upstream Select-Object -First stops the input'; Run = { $Services | Select-Object -First 2 | ConvertTo-MailHtml }; Rows = 2 }
        @{ Name = 'a downstream Select-Object -First takes the body'; Run = { $Services | ConvertTo-MailHtml | Select-Object -First 1 }; Rows = 4 }
    ) {
        $body = & $Run
        $body.RowCount | Should -Be $Rows
    }

    It 'lets a consumer that throws end the pipeline' {
        { $Services | ConvertTo-MailHtml | ForEach-Object { throw 'consumer broke' } } | Should -Throw -ExpectedMessage 'consumer broke'
    }
}

Describe 'ConvertTo-MailHtml in a browser engine (headless Chromium)' {
    It 'colours the highlighted rows, in their order' {
        $image = Save-HtmlScreenshot -Html ($Services | ConvertTo-MailHtml -Title 'Shot' -Highlight $ServiceStyles).Html -Path (Join-Path $Shots 'rows.png') -Height 400

        $critical = @(Get-ColourBand $image $CriticalBackground -MinimumRun 300)
        $warning = @(Get-ColourBand $image $WarningBackground -MinimumRun 300)
        $good = @(Get-ColourBand $image $GoodBackground -MinimumRun 300)
        foreach ($band in $critical, $warning, $good) { $band.Count | Should -BeGreaterThan 15 }
        $critical[-1] | Should -BeLessThan $warning[0]
        $warning[-1] | Should -BeLessThan $good[0]
        # 'bravo' (no style) lies between the critical and the warning row, on white.
        $between = [int](($critical[-1] + $warning[0]) / 2)
        Test-Colour $image.Rgb(300, $between) '#ffffff' | Should -BeTrue
    }

    It 'draws bars that grow with their values' {
        $image = Save-HtmlScreenshot -Html ($Services | ConvertTo-MailHtml -Bar Used).Html -Path (Join-Path $Shots 'bars.png') -Height 400

        $lines = @(Get-ColourBand $image $BarFill -MinimumRun 4)
        # One bar per run of consecutive lines: its length measured on its middle line.
        $bands = [Collections.Generic.List[object]]::new()
        foreach ($y in $lines) { if ($bands.Count -and $bands[-1][-1] -eq $y - 1) { $bands[-1] += $y } else { $bands.Add(@($y)) } }
        $rows = $bands | ForEach-Object { Get-LongestRun $image $_[[int]($_.Count / 2)] $BarFill }
        $rows.Count | Should -Be 4
        # Used: 10, 50, 90, 30 - each bar's length in proportion (within a few pixels of rounding).
        $rows[1] | Should -BeGreaterThan $rows[0]
        $rows[2] | Should -BeGreaterThan $rows[1]
        $unit = $rows[2] / 90
        $unit | Should -BeGreaterThan 1
        [Math]::Abs($rows[0] - 10 * $unit) | Should -BeLessOrEqual 3
        [Math]::Abs($rows[1] - 50 * $unit) | Should -BeLessOrEqual 3
        [Math]::Abs($rows[3] - 30 * $unit) | Should -BeLessOrEqual 3
    }

    It 'narrows the page with a window narrower than 600 px' {
        $body = $Services | ConvertTo-MailHtml -Title 'Narrow' -Highlight @{ Warning = { $true } }
        $image = Save-HtmlScreenshot -Html $body.Html -Path (Join-Path $Shots 'narrow.png') -Width 400 -Height 400

        # The warning rows end at the page's right padding (12 px), inside the window, not cut off at its edge.
        $band = @(Get-ColourBand $image $WarningBackground -MinimumRun 200)
        $band.Count | Should -BeGreaterThan 15
        $y = $band[[int]($band.Count / 2)]
        Test-Colour $image.Rgb(395, $y) '#ffffff' | Should -BeTrue
        Test-Colour $image.Rgb(380, $y) $WarningBackground | Should -BeTrue
    }

    It 'keeps everything within 600 px, even with a long unbreakable value, many columns and a wide code block' {
        $wide = [pscustomobject]@{ Path = '\\fileserver\' + ('verylongfoldername' * 12); A = 1; B = 'two words'; C = [datetime]::Now; D = 123456789; E = 'e'; F = 'f'; G = 'g' }
        $body = $wide, $wide | ConvertTo-MailHtml -Title ('T' * 120) -Markdown ("``````n" + ('x' * 300) + "`n``````") -Bar A -Highlight @{ Warning = { $true } }
        # In a window of 800 px the page is centred: nothing may be drawn beyond its 600 px, from 100 to 700.
        $image = Save-HtmlScreenshot -Html $body.Html -Path (Join-Path $Shots 'wide.png') -Width 800 -Height 900

        $image.CountUnlike(0xffffff, 6, 0, 100) | Should -Be 0
        $image.CountUnlike(0xffffff, 6, 700, $image.Width) | Should -Be 0
        # ...while the page itself is drawn (the warning rows' colour reaches its right edge).
        @(Get-ColourBand $image $WarningBackground -MinimumRun 400).Count | Should -BeGreaterThan 0
    }
}

Describe 'Send-CompositeMail -Body <MailBody>' {
    BeforeAll {
        . $PSScriptRoot/smtp.ps1
        $script:Plain = Start-TestSmtpServer -Mode plain
        $script:Report = $Services | ConvertTo-MailHtml -Title 'Nightly — Grüße' -Bar Used -Highlight $ServiceStyles
        function ConvertTo-Lf { param([string] $Text) $Text -replace "`r`n", "`n" }
    }
    AfterAll { $script:Plain | Stop-TestSmtpServer }

    It 'sends multipart/alternative through SMTP, text first and HTML second, each decoding to Text and Html, without -BodyAsHtml' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None
        $result = Send-CompositeMail -Backend $smtp -From ops@example.com -To jane@example.com -Subject 'Nightly' -Body $Report

        $result.Succeeded | Should -BeTrue
        $message = @(Get-TestSmtpMessage $Plain)[-1].Message
        $message.Body.ContentType.MimeType | Should -Be 'multipart/alternative'
        $parts = @($message.Body)
        $parts.Count | Should -Be 2
        $parts[0].ContentType.MimeType | Should -Be 'text/plain'
        $parts[1].ContentType.MimeType | Should -Be 'text/html'
        ConvertTo-Lf $parts[0].Text | Should -BeExactly (ConvertTo-Lf $Report.Text)
        ConvertTo-Lf $parts[1].Text | Should -BeExactly (ConvertTo-Lf $Report.Html)
    }

    It 'makes one report per row from a delay-bind script block in a mail merge (-ThrottleLimit <Limit>)' -ForEach @(@{ Limit = 1 }, @{ Limit = 2 }, @{ Limit = 4 }) {
        $memory = New-MailBackend -Memory
        $owners = [pscustomobject]@{ Email = 'ann@example.com'; Name = 'Ann'; Items = $Services[0..1] },
            [pscustomobject]@{ Email = 'bob@example.com'; Name = 'Bob'; Items = $Services[2..3] }
        $results = $owners | Send-CompositeMail -Backend $memory -From ops@example.com -To { $_.Email } -Subject { "Yours, $($_.Name)" } `
            -Body { $_.Items | ConvertTo-MailHtml -Title "Services of $($_.Name)" } -ThrottleLimit $Limit -ErrorAction Stop

        $results.Succeeded | Should -Be $true, $true
        $memory.Messages[0].HtmlBody | Should -Match 'Services of Ann.*alpha.*bravo'
        $memory.Messages[0].HtmlBody | Should -Not -Match 'charlie'
        $memory.Messages[1].HtmlBody | Should -Match 'Services of Bob.*charlie.*delta'
        $memory.Messages[1].ToString() | Should -Match 'multipart/alternative'
    }

    It 'takes a report from a row''s Body property, and text in a Body column stays text' {
        $memory = New-MailBackend -Memory
        [pscustomobject]@{ To = 'ann@example.com'; Subject = 'report'; Body = $Report },
        [pscustomobject]@{ To = 'bob@example.com'; Subject = 'text'; Body = 'plain <b>words</b>' } |
            Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop | Out-Null

        $memory.Messages[0].ToString() | Should -Match 'multipart/alternative'
        $memory.Messages[1].ToString() | Should -Not -Match 'multipart|text/html'
        $memory.Messages[1].TextBody | Should -Match 'plain <b>words</b>'
    }

    It 'still refuses an array of lines as -Body (Get-Content without -Raw), as Send-MailMessage does' {
        $memory = New-MailBackend -Memory
        { Send-CompositeMail -Backend $memory -From ops@example.com -To ann@example.com -Subject s -Body @('line 1', 'line 2') -ErrorAction Stop } |
            Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        $memory.Messages.Count | Should -Be 0
    }

    It 'sends text equal to a report''s text as text: only the report itself carries its HTML' {
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory -From ops@example.com -To ann@example.com -Subject s -Body $Report.Text
        $memory.Messages[0].ToString() | Should -Not -Match 'text/html'
    }

    It 'refuses a report with -HtmlBody, which contradicts it, and sends nothing' {
        $memory = New-MailBackend -Memory
        Send-CompositeMail -Backend $memory -From ops@example.com -To ann@example.com -Subject s -Body $Report -HtmlBody '<p>x</p>' -ErrorVariable failures -ErrorAction SilentlyContinue

        $memory.Messages.Count | Should -Be 0
        "$($failures[0])" | Should -Match 'brings its own HTML'
    }

    It 'sends a report given to -HtmlBody (or a row''s HtmlBody) as its HTML, its values escaped, never as its text' {
        $hostile = [pscustomobject]@{ Service = 'spooler<img src="http://127.0.0.1:9/pixel.gif">'; Status = '<a href="javascript:alert(1)">Running</a>' } | ConvertTo-MailHtml -Title Services
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory -From ops@example.com -To ann@example.com -Subject s -Body 'See report' -HtmlBody $hostile -ErrorAction Stop
        [pscustomobject]@{ To = 'bob@example.com'; Subject = 's'; Body = 'See report'; HtmlBody = $hostile } | Send-CompositeMail -Backend $memory -From ops@example.com -ErrorAction Stop | Out-Null

        foreach ($message in $memory.Messages) {
            $message.HtmlBody | Should -BeExactly $hostile.Html
            $message.HtmlBody | Should -Not -Match '<img|<a href'
            $message.TextBody | Should -Match 'See report'
        }
    }

    It 'sends a report that lost its type (<Way>) as text and HTML, rebuilt from its Html and Text' -ForEach @(
        @{ Way = 'Export-Clixml and Import-Clixml'; Through = { param($r, $dir) $path = Join-Path $dir 'r.xml'; $r | Export-Clixml -Path $path; Import-Clixml -Path $path } }
        @{ Way = 'ConvertTo-Json and ConvertFrom-Json'; Through = { param($r, $dir) $r | ConvertTo-Json | ConvertFrom-Json } }
    ) {
        $copy = & $Through $Report $TestDrive
        $copy | Should -Not -BeOfType PSCompositeMail.Reports.MailBody
        $memory = New-MailBackend -Memory
        $null = Send-CompositeMail -Backend $memory -From ops@example.com -To ann@example.com -Subject s -Body $copy -ErrorAction Stop

        $memory.Messages[0].ToString() | Should -Match 'multipart/alternative'
        ConvertTo-Lf $memory.Messages[0].TextBody | Should -BeExactly (ConvertTo-Lf $Report.Text)
        ConvertTo-Lf $memory.Messages[0].HtmlBody | Should -BeExactly (ConvertTo-Lf $Report.Html)
    }

    It 'shows the message as a report under -WhatIf, and sends nothing' {
        $script = Join-Path $TestDrive 'whatif.ps1'
        Set-Content -Path $script -Value @"
Import-Module '$ModulePath'
`$memory = New-MailBackend -Memory
`$report = [pscustomobject]@{ Name = 'a'; State = 'down' } | ConvertTo-MailHtml -Title 'Nightly' -Highlight @{ Critical = { `$_.State -eq 'down' } }
Send-CompositeMail -Backend `$memory -From ops@example.com -To ann@example.com -Subject s -Body `$report -WhatIf
"sent: `$(`$memory.Messages.Count)"
"@
        $run = Invoke-TestPwsh -File $script

        $run.Output | Should -Match "What if: .*'s' from ops@example.com to ann@example.com \(a report: 'Nightly', 1 row, 1 critical, as text and HTML\)"
        $run.Output | Should -Match 'sent: 0'
    }
}
