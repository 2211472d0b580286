# The runner build.ps1 test uses: test files shared out among worker processes still add up to one true count line,
# and -ExcludeTag Slow leaves the slow tests out. CI reads only that line, so a lost failure would pass unnoticed.
BeforeAll {
    . $PSScriptRoot/common.ps1
}

Describe 'Invoke-PesterSuite -Workers' {
    It 'sums every worker''s passed and failed tests into its last line, and skips the tests tagged Slow under -ExcludeTag Slow' {
        $files = Join-Path $TestDrive 'suite'
        $null = New-Item -ItemType Directory $files
        Set-Content (Join-Path $files 'First.Tests.ps1') @"
Describe 'first' {
    It 'passes' { 1 | Should -Be 1 }
    It 'is slow' -Tag Slow { throw 'a Slow test ran under -ExcludeTag Slow' }
}
"@
        Set-Content (Join-Path $files 'Second.Tests.ps1') "Describe 'second' { It 'fails' { 1 | Should -Be 2 } }"
        Set-Content (Join-Path $files 'Third.Tests.ps1') "Describe 'third' { It 'passes too' { 1 | Should -Be 1 } }"
        # A run of its own (under this run's test CA, which it inherits), not with this run's parameters.
        $probe = Join-Path $TestDrive 'suite.ps1'
        Set-Content $probe @"
`$env:PSCOMPOSITEMAIL_PESTER_PARAMETERS = `$null
& '$(Join-Path $PSScriptRoot 'Invoke-PesterSuite.ps1')' -Path '$files' -Workers 2 -ExcludeTag Slow -StagingPath '$ModulePath' -PesterPath '$((Get-Module Pester).Path -replace '\.psm1$', '.psd1')'
"@
        $run = Invoke-TestPwsh -File $probe
        $lines = @($run.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $lines[-1] | Should -Be '2 passed, 1 failed' -Because $run.Output
        @($lines -match '^\d+ passed, \d+ failed$').Count | Should -Be 1 -Because 'the workers'' own count lines are summed, not passed on'
        $run.Output | Should -Match 'Expected 2, but got 1'
    }
}
