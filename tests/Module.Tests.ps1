BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Manifest = Join-Path $script:ModulePath 'PSCompositeMail.psd1'
}

Describe 'The module' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $script:Manifest -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $declared = (Import-PowerShellDataFile $script:Manifest).CmdletsToExport | Sort-Object
        $exported = Get-Command -Module PSCompositeMail | ForEach-Object Name | Sort-Object
        $exported | Should -Be $declared
    }

    It 'imports without a warning in a fresh session' {
        $probe = Join-Path $TestDrive 'import.ps1'
        Set-Content $probe "Import-Module '$script:ModulePath' -WarningVariable w -WarningAction SilentlyContinue; if (`$w) { `$w; exit 3 }; 'imported'"
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'imported'
        $run.ExitCode | Should -Be 0
    }

    It 'uses only approved verbs' {
        $approved = Get-Verb | ForEach-Object Verb
        Get-Command -Module PSCompositeMail | ForEach-Object { $_.Verb | Should -BeIn $approved }
    }

    It 'declares an OutputType on every cmdlet' {
        Get-Command -Module PSCompositeMail | ForEach-Object { $_.OutputType | Should -Not -BeNullOrEmpty -Because $_.Name }
    }

    It 'takes its version from the manifest' {
        $version = (Import-PowerShellDataFile $script:Manifest).ModuleVersion
        (Get-Module PSCompositeMail).Version.ToString() | Should -Be $version
        [PSCompositeMail.Backends.MailBackend].Assembly.GetName().Version.ToString(3) | Should -Be $version
    }
}

Describe 'A scheduled script' {
    BeforeAll {
        $script:Script = Join-Path $TestDrive 'nightly.ps1'
        Set-Content $script:Script @"
param([switch] `$Fail)
`$ErrorActionPreference = 'Stop'
Import-Module '$script:ModulePath'
`$backend = if (`$Fail) { New-MailBackend -ScriptBlock { throw 'relay down' } -Name relay } else { New-MailBackend -Null }
Send-CompositeMail -Backend `$backend -From ops@example.com -To jane@example.com -Subject nightly -Body ok | Out-Null
'done'
"@
    }

    It 'exits 0 when the mail went out' {
        $run = Invoke-TestPwsh -File $script:Script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'done'
    }

    It 'exits non-zero and names the failed backend when it did not' {
        $run = Invoke-TestPwsh -File $script:Script -Arguments '-Fail'
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Match "backend 'relay' failed: relay down"
        $run.Output | Should -Not -Match 'done'
    }
}
