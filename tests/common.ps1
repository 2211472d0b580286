# Dot-sourced by every test file: imports the staged module (never src/) and offers small helpers.
$script:ModulePath = if ($env:PSCOMPOSITEMAIL_MODULE) { $env:PSCOMPOSITEMAIL_MODULE } else { Join-Path $PSScriptRoot '../out/PSCompositeMail' }
Import-Module $script:ModulePath -Force -ErrorAction Stop

function Invoke-TestPwsh {
    <# Runs a script file in a fresh, non-interactive PowerShell, as a scheduled task would; returns output and exit code. #>
    param([string] $File, [string[]] $Arguments = @())
    $self = (Get-Process -Id $PID).Path
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $output = & $self @prefix -NoProfile -NonInteractive -File $File @Arguments 2>&1
    [pscustomobject]@{ Output = ($output | Out-String); ExitCode = $LASTEXITCODE }
}

function Read-EmlFile {
    <# Parses an .eml file back with MimeKit, as a mail client would. #>
    param([string] $Path)
    [MimeKit.MimeMessage]::Load($Path)
}

$script:Mail = @{ From = 'ops@example.com'; To = 'jane@example.com'; Subject = 'Disk report'; Body = 'All fine.' }
