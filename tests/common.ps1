# Dot-sourced by every test file: imports the staged module (never src/) and offers small helpers.
$script:ModulePath = if ($env:PSCOMPOSITEMAIL_MODULE) { $env:PSCOMPOSITEMAIL_MODULE } else { Join-Path $PSScriptRoot '../out/PSCompositeMail' }
Import-Module $script:ModulePath -Force -ErrorAction Stop
# The tests read mail back with their own MimeKit, loaded the ordinary way, as a mail client would; the module's
# copy lives in its own load context and is not visible to PowerShell's type names.
if (-not ('MimeKit.MimeMessage' -as [type])) {
    Add-Type -Path (Join-Path $script:ModulePath 'bin/MimeKit.dll')
}

function Get-PwshCommandLine {
    <# This same PowerShell (under 'dotnet pwsh' the process is dotnet, which needs pwsh.dll as its first argument). #>
    $self = (Get-Process -Id $PID).Path
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    [pscustomobject]@{ Path = $self; Arguments = $prefix + @('-NoProfile', '-NonInteractive') }
}

function Invoke-TestPwsh {
    <# Runs a script file in a fresh, non-interactive PowerShell, as a scheduled task would; returns output and exit code. #>
    param([string] $File, [string[]] $Arguments = @())
    $pwsh = Get-PwshCommandLine
    $commandArguments = $pwsh.Arguments
    $output = & $pwsh.Path @commandArguments -File $File @Arguments 2>&1
    [pscustomobject]@{ Output = ($output | Out-String); ExitCode = $LASTEXITCODE }
}

function Start-TestPwsh {
    <# Starts a script file in a separate PowerShell process and returns the process, for concurrency and crash tests. #>
    param([string] $File, [string[]] $Arguments = @(), [string] $OutputFile)
    $pwsh = Get-PwshCommandLine
    $all = $pwsh.Arguments + @('-File', $File) + $Arguments
    Start-Process -FilePath $pwsh.Path -ArgumentList $all -PassThru -RedirectStandardOutput $OutputFile -RedirectStandardError "$OutputFile.err"
}

function Save-TestModulePackage {
    <# Packages the staged module (build.ps1 package -NoBuild) and saves it from a local repository into -Destination, as Install-PSResource would; returns the .nupkg. #>
    param([Parameter(Mandatory)] [string] $Destination)
    $root = Join-Path $PSScriptRoot '..'
    # Test files run in several processes at once (Invoke-PesterSuite -Workers): one packages into out/ at a time.
    $lock = $null
    $deadline = [DateTime]::UtcNow.AddMinutes(10)
    while (-not $lock) {
        try { $lock = [IO.File]::Open((Join-Path $root 'out/package.lock'), 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [IO.IOException] { if ([DateTime]::UtcNow -gt $deadline) { throw }; Start-Sleep -Milliseconds 200 }
    }
    try {
        $build = Invoke-TestPwsh -File (Join-Path $root 'build.ps1') -Arguments 'package', '-NoBuild'
        if ($build.ExitCode -ne 0) { throw "build.ps1 package failed: $($build.Output)" }
        $package = Get-ChildItem (Join-Path $root 'out/packages') -Filter 'PSCompositeMail.*.nupkg'
        $install = Join-Path ([IO.Path]::GetTempPath()) "pscm-install-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content $install @"
`$ErrorActionPreference = 'Stop'
`$name = 'pscm-test-' + `$PID
Register-PSResourceRepository -Name `$name -Uri '$(Split-Path $package.FullName)' -Trusted
try {
    `$null = New-Item -ItemType Directory '$Destination' -Force
    Save-PSResource -Name PSCompositeMail -Repository `$name -Path '$Destination' -TrustRepository
}
finally { Unregister-PSResourceRepository -Name `$name }
'saved'
"@
        try { $saved = Invoke-TestPwsh -File $install } finally { Remove-Item $install }
        if ($saved.Output -notmatch 'saved') { throw "Save-PSResource failed: $($saved.Output)" }
        $package
    }
    finally { $lock.Dispose() }
}

function Read-EmlFile {
    <# Parses an .eml file back with MimeKit, as a mail client would. #>
    param([string] $Path)
    [MimeKit.MimeMessage]::Load($Path)
}

$script:Mail = @{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'Disk report'; Body = 'All fine.' }
