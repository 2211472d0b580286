<#
.SYNOPSIS
    Sends one sample message through the console and a folder of .eml files: no server needed.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Outbox
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$console = New-MailBackend -Console
$folder = New-MailBackend -Directory $Outbox -Name outbox
$both = New-MailBackend -Composite -Backend $console, $folder -Name debug

Write-Host "Backends:" -ForegroundColor Cyan
$console, $folder, $both | Format-Table | Out-Host

Write-Host "Sending through '$($both.Name)' ($($both.Description)):" -ForegroundColor Cyan
$result = Send-CompositeMail -Backend $both `
    -From 'PSCompositeMail demo <demo@example.com>' `
    -To 'Jane Admin <jane@example.com>', 'ops@example.com' `
    -Subject "Nightly report $(Get-Date -Format 'yyyy-MM-dd')" `
    -Body "Everything ran.`n`n- backups: ok`n- disk: 71% used"

Write-Host "`nResult:" -ForegroundColor Cyan
$result | Format-Table | Out-Host
$result.Results | Format-Table | Out-Host
$result.Results.Results | Format-Table | Out-Host

$file = ($result.Results.Results | Where-Object Backend -eq 'outbox').Detail
Write-Host "The .eml went to: $file" -ForegroundColor Cyan
if (-not $result.Succeeded) { exit 1 }
