BeforeAll {
    . $PSScriptRoot/common.ps1
}

Describe 'Test-MailBackend' {
    It 'checks that a directory can be written, without writing a message' {
        $outbox = Join-Path $TestDrive 'outbox'
        $result = New-MailBackend -Directory $outbox | Test-MailBackend
        $result.Backend | Should -Be 'directory'
        $result.Succeeded | Should -BeTrue
        $result.Error | Should -BeNullOrEmpty
        Get-ChildItem $outbox -Force | Should -BeNullOrEmpty
    }

    It 'reports a directory that cannot be written' {
        $blocker = Join-Path $TestDrive 'file'
        Set-Content $blocker 'x'
        $result = Test-MailBackend -Backend (New-MailBackend -Directory (Join-Path $blocker 'sub'))
        $result.Succeeded | Should -BeFalse
        $result.Error | Should -Not -BeNullOrEmpty
    }

    It 'tests each backend inside a composite under its policy' {
        $blocker = Join-Path $TestDrive 'file2'
        Set-Content $blocker 'x'
        $broken = New-MailBackend -Directory (Join-Path $blocker 'sub') -Name broken
        $composite = New-MailBackend -Composite -Backend $broken, (New-MailBackend -Null) -Policy Any
        $result = Test-MailBackend $composite
        $result.Succeeded | Should -BeTrue
        $result.Results.Succeeded | Should -Be $false, $true
    }

    It 'renders a table with the expected columns' {
        New-MailBackend -Null | Test-MailBackend | Format-Table | Out-String | Should -Match 'Backend\s+Kind\s+Succeeded\s+Latency\s+Detail'
    }
}
