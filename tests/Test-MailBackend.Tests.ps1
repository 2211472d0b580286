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

    It 'shows each member of a Failover composite with its own outcome and warns about a dead primary' {
        . $PSScriptRoot/smtp.ps1
        $port = Get-FreeTcpPort
        $dead = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -TimeoutSec 2 -Name primary
        $relays = New-MailBackend -Composite -Backend $dead, (New-MailBackend -Null -Name backup) -Policy Failover -Name relays
        $result = Test-MailBackend $relays -WarningVariable warned -WarningAction SilentlyContinue

        $result.Succeeded | Should -BeTrue -Because 'the backup can still deliver'
        $result.Results.Backend | Should -Be 'primary', 'backup'
        $result.Results.Succeeded | Should -Be $false, $true
        $result.Results[0].Error | Should -Match "127\.0\.0\.1:$port|refused"
        $result.Detail | Should -Match '^Failover: primary FAILED \(.+\); backup passed$'
        $warned.Count | Should -Be 1
        $warned[0] | Should -Match "relays: .*backend 'primary' failed"
        { Test-MailBackend $relays -WarningAction Stop } | Should -Throw
    }

    It 'renders a table with the expected columns' {
        New-MailBackend -Null | Test-MailBackend | Format-Table | Out-String | Should -Match 'Backend\s+Kind\s+Succeeded\s+Latency\s+Detail'
    }
}
