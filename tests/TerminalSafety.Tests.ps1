# Issue 11: nothing the cmdlets write can drive the terminal. Errors, warnings and verbose lines carry text this module
# does not control (an SMTP server's reply, an address or a file name from a CSV, a script block's error), and the
# host prints them raw: control characters and bidi overrides in them are shown escaped.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Hostile = "$([char]27)]0;PWNED$([char]7)$([char]27)[2J$([char]0x202E)"
    # aiosmtpd writes its replies in ASCII: the server's part is ESC and BEL sequences.
    $script:Refusing = Start-TestSmtpServer -Mode plain -MailReply "550 5.7.1 Sender refused $([char]27)]0;PWNED$([char]7)$([char]27)[2J"

    function Assert-Escaped {
        param([string] $Text)
        $Text | Should -Not -BeNullOrEmpty
        $Text.IndexOf([char]27) | Should -Be -1
        $Text.IndexOf([char]7) | Should -Be -1
        $Text.IndexOf([char]0x202E) | Should -Be -1
    }
}
AfterAll { $script:Refusing | Stop-TestSmtpServer }

Describe 'What the cmdlets write cannot drive the terminal' {
    It 'escapes an SMTP server''s reply in the error of a message it refused' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Refusing.Port -Security None -RetryCount 0
        $null = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        $failures.Count | Should -Be 1
        Assert-Escaped "$($failures[0])"
        "$($failures[0])" | Should -Match ([regex]::Escape('\x1B]0;PWNED\x07'))
    }

    It 'escapes the bad value in the error for invalid input: <Name>' -ForEach @(
        # (-ForEach data is made before BeforeAll runs: the characters are written out here.)
        @{ Name = 'an address'; Bad = @{ To = "`"Evil$([char]27)]0;PWNED$([char]7)$([char]0x202E)`" <not-an-address>" } }
        @{ Name = 'a missing attachment'; Bad = @{ Attachments = "/tmp/missing$([char]27)[2J$([char]0x202E).txt" } }
    ) {
        $call = $Mail.Clone()
        foreach ($key in $Bad.Keys) { $call[$key] = $Bad[$key] }
        $null = Send-CompositeMail -Backend (New-MailBackend -Null) @call -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures.Count | Should -Be 1
        Assert-Escaped "$($failures[0])"
    }

    It 'escapes a script block backend''s error' {
        $broken = New-MailBackend -ScriptBlock { throw "down $([char]27)[2J" }
        $null = Send-CompositeMail -Backend $broken @Mail -ErrorVariable failures -ErrorAction SilentlyContinue
        Assert-Escaped "$($failures[0])"
    }

    It 'escapes backend names and a folder in the verbose "Send ... through ..." line that ShouldProcess writes' {
        # Outside TestDrive: Pester's clean-up reads '[' in a name as a wildcard.
        $parent = Join-Path ([IO.Path]::GetTempPath()) "pscm-verbose-$([guid]::NewGuid().ToString('N'))"
        $folder = Join-Path $parent "out$([char]27)]0;PWNED$([char]7)$([char]27)[2Jdir"
        try {
            $directory = New-MailBackend -Directory $folder -Name "dir$([char]27)[2J$([char]0x202E)x"
            $composite = New-MailBackend -Composite -Backend $directory, (New-MailBackend -Null) -Name "both$([char]27)[5m"
            $verbose = Send-CompositeMail -Backend $composite @Mail -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        }
        finally { [IO.Directory]::Delete($parent, $true) }

        $through = @($verbose | Where-Object Message -Match 'through')
        $through.Count | Should -BeGreaterThan 0
        foreach ($line in $verbose) { Assert-Escaped "$($line.Message) " }
        "$($through[0].Message)" | Should -Match ([regex]::Escape('both\x1B[5m'))
    }

    It 'escapes what New-MailBackend warns about' {
        $null = New-MailBackend -Smtp -SmtpServer "relay$([char]27)[2J.example.com" -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -BeGreaterThan 0
        Assert-Escaped "$warnings"
    }
}

Describe 'Targets and tables cannot drive the terminal either' {
    It 'escapes an unknown -Encoding name from a row' {
        [pscustomobject]@{ To = 'jane@example.com'; Subject = 's'; Encoding = "bo$([char]27)[2Jgus" } |
            Send-CompositeMail -Backend (New-MailBackend -Null) -From ops@example.com -Body b -ErrorVariable failures -ErrorAction SilentlyContinue
        Assert-Escaped "$($failures[0])"
    }

    It 'escapes the target an error names (shown by NormalView''s CategoryInfo line, Windows PowerShell''s default)' {
        $null = Send-CompositeMail -Backend (New-MailBackend -Null) @Mail -Attachments "/tmp/missing$([char]27)[2J.txt" -ErrorVariable failures -ErrorAction SilentlyContinue
        Assert-Escaped $failures[0].CategoryInfo.TargetName
        Assert-Escaped $failures[0].CategoryInfo.GetMessage()
    }

    It 'escapes the error column of Get-MailSpool''s table and backend names in result tables' {
        $spool = Join-Path $TestDrive 'spool'
        $broken = New-MailBackend -ScriptBlock { throw "down $([char]27)[2J" } -Name "bad$([char]27)[2Jname"
        $result = Send-CompositeMail -Backend $broken @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        Assert-Escaped (Get-MailSpool $spool | Out-String -Width 120)
        Assert-Escaped ($result.Results | Out-String -Width 120)
        Assert-Escaped ($result | Out-String -Width 120)
        Assert-Escaped (Test-MailBackend -Backend $broken | Out-String -Width 120)
    }

    It 'escapes nested results and items in list views too (Format-List, or a list because the output mixes types)' {
        $spool = Join-Path $TestDrive 'spool-list'
        $broken = New-MailBackend -ScriptBlock { throw "down $([char]27)]0;title$([char]7)" } -Name broken
        $composite = New-MailBackend -Composite -Policy Any -Backend $broken, (New-MailBackend -Null)
        $result = Send-CompositeMail -Backend $broken @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        Assert-Escaped ($result | Format-List | Out-String)
        Assert-Escaped "$((Get-MailSpool $spool)[0])"
        Assert-Escaped "$(@((Test-MailBackend -Backend $composite -WarningAction SilentlyContinue).Results)[0])"
    }
}

# Issue 20, item 8: the list views (Format-List, which the README recommends for spool items and nested results) showed
# a relay's reply raw. Every property that can hold outside text is escaped in every view; the objects keep it raw.
Describe 'List views cannot drive the terminal' {
    BeforeAll {
        # ESC]0;title BEL (sets the window title), ESC[2J (clears the screen), a C1 CSI (U+009B) and RLO (U+202E).
        $hostileReply = '\x1b]0;title\x07\x1b[2J\u009b31m\u202e'
        $script:Relay = Start-TestSmtpServer -Mode raw -Refuse "MAIL:550 5.7.1 refused $hostileReply", "EHLO:554 5.7.1 go away $hostileReply", "HELO:554 5.7.1 go away $hostileReply"
        $script:Raw = [char]27, [char]7, [char]0x9B, [char]0x202E

        function Assert-ListEscaped {
            param([string] $Text)
            $Text | Should -Not -BeNullOrEmpty
            foreach ($character in $Raw) { $Text.IndexOf($character) | Should -Be -1 -Because "U+$('{0:X4}' -f [int]$character) must be shown escaped" }
            $Text | Should -Match ([regex]::Escape('\x1B]0;title\x07\x1B[2J\x9B31m\u202E'))
        }
    }
    AfterAll { $script:Relay | Stop-TestSmtpServer }

    It 'escapes a relay''s reply in Format-List of a result, its Results, and the spool item' {
        $spool = Join-Path $TestDrive 'spool-lists'
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Relay.Port -Security None -RetryCount 0 -Name relay
        $result = Send-CompositeMail -Backend $smtp @Mail -SpoolDirectory $spool -ErrorAction SilentlyContinue

        $result.Results[0].Error | Should -Match "$([char]27)" -Because 'the object keeps the reply as it came'
        Assert-ListEscaped ($result | Format-List | Out-String)
        Assert-ListEscaped ($result.Results | Format-List | Out-String)
        Assert-ListEscaped (Get-MailSpool -Path $spool | Format-List | Out-String)
    }

    It 'escapes a composite''s nested results in Format-List' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Relay.Port -Security None -RetryCount 0 -Name relay
        $composite = New-MailBackend -Composite -Policy Any -Backend $smtp, (New-MailBackend -Null) -Name both
        $result = Send-CompositeMail -Backend $composite @Mail -WarningAction SilentlyContinue
        Assert-ListEscaped ($result.Results | Format-List | Out-String)
    }

    It 'escapes a Test-MailBackend result in Format-List' {
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Relay.Port -Security None -RetryCount 0
        $test = Test-MailBackend -Backend $smtp
        $test.Succeeded | Should -BeFalse
        Assert-ListEscaped ($test | Format-List | Out-String)
    }

    It 'escapes a backend, and Memory''s messages, in Format-List' {
        $name = "mem`e]0;title`a`e[2J$([char]0x9B)31m$([char]0x202E)"
        $memory = New-MailBackend -Memory -Name $name
        $null = Send-CompositeMail -Backend $memory @Mail -Body "body`e]0;title`a`e[2J$([char]0x9B)31m$([char]0x202E)"

        Assert-ListEscaped ($memory | Format-List | Out-String)
        Assert-ListEscaped ($memory.Messages | Format-List | Out-String)
        Assert-ListEscaped ((New-MailBackend -Null -Name $name) | Format-List | Out-String)
        $memory.Messages[0].TextBody | Should -Match "$([char]27)" -Because 'the captured copy keeps the body as it came'
    }
}
