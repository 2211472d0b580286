# Issue 11, the protocol log is private: a log path that is a symbolic link is refused, since narrowing it to
# owner-only and appending would act on whatever it points at (another user's file, say).
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

        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Succeeded | Should -BeFalse
        "$($failures[0])" | Should -Match 'symbolic link'
        Get-Content $target | Should -Be 'theirs'
        (Get-Item $target).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
    }

    It 'refuses a symbolic link to a file not there yet, and creates nothing where it points' -Skip:$IsWindows {
        $target = Join-Path $TestDrive 'not-yet/new.log'
        $null = New-Item -ItemType Directory (Split-Path $target)
        $link = Join-Path $TestDrive 'dangling-smtp.log'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $target
        $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $Plain.Port -Security None -RetryCount 0 -ProtocolLog $link

        $result = Send-CompositeMail -Backend $smtp @Mail -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Succeeded | Should -BeFalse
        "$($failures[0])" | Should -Match 'symbolic link'
        $target | Should -Not -Exist
    }
}
