<#
.SYNOPSIS
    A scheduled task that mails a report and never loses it: run as
    pwsh -NonInteractive -File scheduled-task.ps1 -Profile C:\Ops\mail.psd1 -Environment Production -SpoolDirectory C:\Ops\Spool
.DESCRIPTION
    First resends whatever an earlier run had to spool, then sends today's report. Exit codes:
    0  every message was delivered or kept in the spool for the next run
    1  something was not delivered and could not be spooled, or the script failed (the error says why)
#>
param(
    [Parameter(Mandatory)] [string] $Profile,
    [Parameter(Mandatory)] [string] $Environment,
    [string] $SpoolDirectory,
    [string] $To = 'oncall@example.com',
    [string] $ModulePath = 'PSCompositeMail'
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$backends = Import-MailBackend -Path $Profile -Environment $Environment
$spool = @{}
if ($SpoolDirectory) {
    $spool.SpoolDirectory = $SpoolDirectory
    if (Test-Path $SpoolDirectory) { Get-MailSpool $SpoolDirectory | Send-CompositeMail -Backend $backends | Out-Null }
}

$report = "Report for $(Get-Date -Format 'yyyy-MM-dd') from $([Environment]::MachineName)"
# A message kept in the spool is still reported as an error; here it counts as handled, the next run sends it.
$result = Send-CompositeMail -Backend $backends -From 'ops@example.com' -To $To -Subject $report -Body $report @spool -ErrorAction SilentlyContinue -ErrorVariable notDelivered
if ($notDelivered -and -not $result.SpoolPath) { throw $notDelivered[0] }
"Delivered by: $($result.DeliveredBy -join ', '); spooled: $([bool]$result.SpoolPath)"
