<#
.SYNOPSIS
    A scheduled task that mails a report and never loses it: run as
    pwsh -NonInteractive -File scheduled-task.ps1 -ProfilePath C:\Ops\mail.psd1 -Environment Production -SpoolDirectory C:\Ops\Spool
.DESCRIPTION
    First resends whatever earlier runs had to spool, then sends this run's report. Whatever happens to the
    older messages, this run's report is always attempted (and spooled if it cannot go out), so an outage
    never costs a report. Exit codes:
    0  this run's report was delivered or kept in the spool, and every older message was delivered or is still
       waiting in the spool for the next run
    1  a message was not delivered and is not waiting in the spool either (it could not be spooled, it moved to
       the poison folder after too many attempts, or it was set aside as damaged), or an older message could not
       be resent at all (SpoolItemNotResent: it stays in the spool, but this run could not take or deliver it), or
       the script itself failed (a bad profile, no module); the errors say why and where each message is. The report was still attempted whenever the backends loaded.
.PARAMETER ProfilePath
    The Import-MailBackend file (named so as not to hide PowerShell's automatic $PROFILE; -Profile still binds).
#>
param(
    [Parameter(Mandatory)] [Alias('Profile')] [string] $ProfilePath,
    [Parameter(Mandatory)] [string] $Environment,
    [string] $SpoolDirectory,
    [string] $To = 'oncall@example.com',
    [string] $ModulePath = 'PSCompositeMail'
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

# Without these the script cannot do anything: their errors stop it with exit code 1.
$backends = Import-MailBackend -Path $ProfilePath -Environment $Environment
$spool = @{}
if ($SpoolDirectory) { $spool.SpoolDirectory = $SpoolDirectory }

function Get-LostMessage {
    <# The errors that need attention: a message kept in the spool (its result has a SpoolPath) is handled, the next run resends it. #>
    param($Errors)
    @($Errors | Where-Object { -not ($_.TargetObject -is [PSCompositeMail.Results.SendResult] -and $_.TargetObject.SpoolPath) })
}

$lost = @()

# 1. Older messages. A failed resend keeps its item in the spool; none of it may stop this run's report.
if ($SpoolDirectory -and (Test-Path $SpoolDirectory)) {
    try {
        $resent = @(Get-MailSpool $SpoolDirectory | Send-CompositeMail -Backend $backends -ErrorAction SilentlyContinue -ErrorVariable resendErrors)
        $lost += Get-LostMessage $resendErrors
        "Older messages: $(@($resent | Where-Object Succeeded).Count) delivered, $(@($resent | Where-Object SpoolPath).Count) still in the spool."
    }
    catch {
        $lost += $_
    }
}

# 2. This run's report, always attempted.
$now = Get-Date
$report = "Report for $($now.ToString('yyyy-MM-dd')) from $([Environment]::MachineName)"
$body = "$report, made at $($now.ToString('o'))."
$result = Send-CompositeMail -Backend $backends -From 'ops@example.com' -To $To -Subject $report -Body $body @spool -ErrorAction SilentlyContinue -ErrorVariable reportErrors
$lost += Get-LostMessage $reportErrors
if ($result) { "Delivered by: $($result.DeliveredBy -join ', '); spooled: $([bool]$result.SpoolPath)" }

# Each error says where its message is (not in the spool, in the poison or damaged folder, or still in the spool but not resent).
foreach ($failure in $lost) { Write-Warning "Needs attention: $failure" }
exit $(if ($lost.Count) { 1 } else { 0 })
