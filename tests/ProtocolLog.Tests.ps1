# Issue 11, the protocol log is private: a log path that is a symbolic link is refused, since narrowing it to
# owner-only and appending would act on whatever it points at (another user's file, say). A refused log is a warning,
# never a failed delivery: a diagnostics option must not take mail down.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/smtp.ps1
    $script:Plain = Start-TestSmtpServer -Mode plain
}
AfterAll { $script:Plain | Stop-TestSmtpServer }

Describe 'The protocol log and symbolic links' {
    It 'refuses a log path that is a symbolic link, and leaves its target as it was' -Skip:$IsWindows {
        $target = Join-Path $TestDrive 'someone-elses.txt'
        Set-Content $target 'theirs'
        [IO.File]::SetUnixFileMode($target, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $link = Join-Path $TestDrive 'smtp.log'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $target
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -RetryCount 0 -ProtocolLog $link

        $result = Send-CompositeMail -Backend $smtp @Mail -WarningVariable warned -WarningAction SilentlyContinue

        $result.Succeeded | Should -BeTrue
        @($warned).Count | Should -Be 1
        "$warned" | Should -Match '-ProtocolLog is not written.*symbolic link'
        Get-Content $target | Should -Be 'theirs'
        (Get-Item $target).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'refuses a symbolic link to a file not there yet, and creates nothing where it points' -Skip:$IsWindows {
        $target = Join-Path $TestDrive 'not-yet/new.log'
        $null = New-Item -ItemType Directory (Split-Path $target)
        $link = Join-Path $TestDrive 'dangling-smtp.log'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $target
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -RetryCount 0 -ProtocolLog $link

        $result = Send-CompositeMail -Backend $smtp @Mail -WarningVariable warned -WarningAction SilentlyContinue

        $result.Succeeded | Should -BeTrue
        "$warned" | Should -Match 'symbolic link'
        $target | Should -Not -Exist
    }

    It 'delivers every message of a pipeline past a refused log (<What>), with one warning naming the refusal' -Skip:$IsWindows -ForEach @(
        @{ What = 'a symbolic link'; Make = { param($path) $null = New-Item -ItemType SymbolicLink -Path $path -Target (Join-Path $TestDrive 'x') } }
        @{ What = 'a named pipe'; Make = { param($path) mkfifo $path } }
        @{ What = 'read-only'; Make = { param($path) Set-Content $path 'kept'; [IO.File]::SetUnixFileMode($path, [IO.UnixFileMode]'UserRead') } }
    ) {
        $log = Join-Path $TestDrive "refused-$(New-Guid).log"
        & $Make $log
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -ProtocolLog $log
        $spool = Join-Path $TestDrive "spool-$(New-Guid)"
        $before = @(Get-TestSmtpMessage $Plain).Count

        $results = 1..3 | ForEach-Object { [pscustomobject]@{ To = "jane$_@example.com" } } |
            Send-CompositeMail -Backend $smtp -From ops@example.com -Subject s -Body b -SpoolDirectory $spool `
                -WarningVariable warned -WarningAction SilentlyContinue
        $tested = Test-MailBackend -Backend $smtp -WarningAction SilentlyContinue

        @($results).Succeeded | Should -Be @($true, $true, $true)
        @($results | Where-Object SpoolPath).Count | Should -Be 0
        @(Get-TestSmtpMessage $Plain).Count | Should -Be ($before + 3)
        $tested.Succeeded | Should -BeTrue
        @($warned).Count | Should -Be 1
        "$warned" | Should -Match ([regex]::Escape($What) -replace 'a named pipe', 'named pipe|FIFO')
        if ($What -eq 'read-only') { Get-Content $log | Should -Be 'kept' }
    }
}

Describe 'One protocol log shared by several processes' {
    It 'keeps every session of every process whole: each line is appended at the current end' {
        $log = Join-Path $TestDrive 'shared-smtp.log'
        $script = Join-Path $TestDrive 'log-sender.ps1'
        Set-Content $script @'
param($ModulePath, $Port, $Log, $Process)
Import-Module $ModulePath
$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Port -Security None -ProtocolLog $Log
$rows = 1..20 | ForEach-Object { [pscustomobject]@{ To = "p$Process-$_@example.com" } }
$sent = $rows | Send-CompositeMail -Backend $smtp -From ops@example.com -Subject s -Body b
"sent $(@($sent | Where-Object Succeeded).Count)"
'@
        $processes = 1..3 | ForEach-Object {
            Start-TestPwsh -File $script -Arguments $ModulePath, $Plain.Port, $log, $_ -OutputFile (Join-Path $TestDrive "sender-$_.out")
        }
        $processes | Wait-Process -Timeout 300
        1..3 | ForEach-Object { Get-Content (Join-Path $TestDrive "sender-$_.out") | Should -Be 'sent 20' }

        $lines = @(Get-Content $log)
        foreach ($process in 1..3) {
            @($lines -match "C: RCPT TO:<p$process-\d+@example.com>").Count | Should -Be 20
        }
        @($lines -match 'C: MAIL FROM:').Count | Should -Be 60
        $lines | Should -Match '^\d{4}-\d\d-\d\dT[\d:.]+Z \[connection \d+\] '
    }

    It 'starts on a new line after a partial last line, so that both stay apart' {
        $log = Join-Path $TestDrive 'partial-smtp.log'
        [IO.File]::WriteAllText($log, '2026-12-07T00:00:00.000Z [connection 1] S: 250 par')
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -ProtocolLog $log

        $null = Send-CompositeMail -Backend $smtp @Mail

        $lines = @(Get-Content $log)
        $lines[0] | Should -BeExactly '2026-12-07T00:00:00.000Z [connection 1] S: 250 par'
        $lines[1] | Should -Match '^\d{4}-\d\d-\d\dT[\d:.]+Z \[connection 1\] Connected to '
    }
}
