<#
.SYNOPSIS
    A scheduled task that mails a report, never loses it, and tells the truth in its exit code and its log. Run as
    pwsh -NonInteractive -File scheduled-task.ps1 -ProfilePath C:\Ops\mail.psd1 -Environment Production -SpoolDirectory C:\Ops\Spool -LogPath C:\Ops\mail.log
.DESCRIPTION
    First resends, oldest first, whatever earlier runs had to spool; then sends this run's report; then checks the
    spool with Test-MailSpool. Whatever happens to the older messages, this run's report is always attempted (and
    spooled if it cannot go out), so an outage never costs a report. Every message that is not delivered is named
    in the output with its reason (each backend that failed and its error, such as a relay's "535 Authentication
    credentials invalid"), and every message is a JSON line in the message log (-LogPath, or the profile's LogPath):
    Get-Content C:\Ops\mail.log | ConvertFrom-Json | Where-Object outcome -ne Delivered
    Exit codes, which Task Scheduler ("Last Run Result") and systemd (the unit's status) show:
    0  this run's report and every older message was delivered, or is waiting in the spool for less than -MaxAge
    2  a message has waited in the spool longer than -MaxAge (default 4 hours): the relays have been failing for
       that long, and someone should look; the warnings name each late message, its age and its last error. Also
       when a resend has held an item longer than -MaxAge (Test-MailSpool's Stuck: a claim that is not given back by
       itself, such as one made in another PID namespace); it is listed under "Needs attention"
    1  a message failed for good or could not be kept: it could not be spooled, it is in the poison folder after
       too many attempts, or it is in the damaged folder (every run, until someone looks); or the message log could
       not be written; or an older message could not be resent at all, or an item in the spool could not be read
       (Get-MailSpool sets it aside and says where; the readable ones are still resent)
       (SpoolItemNotResent: it stays in the spool, but this run could not take or deliver it); or the script itself
       failed (a bad profile, no module). The errors say why and where each message is. The report was still
       attempted whenever the backends loaded.
.PARAMETER ProfilePath
    The Import-MailBackend file (named so as not to hide PowerShell's automatic $PROFILE; -Profile still binds).
.PARAMETER MaxAge
    How long a message may wait in the spool before the run exits 2.
.PARAMETER LogPath
    The message log; without it, the LogPath the profile's environment names (if any).
#>
param(
    [Parameter(Mandatory)] [Alias('Profile')] [string] $ProfilePath,
    [Parameter(Mandatory)] [string] $Environment,
    [string] $SpoolDirectory,
    [string] $LogPath,
    [timespan] $MaxAge = '04:00:00',
    [string] $To = 'oncall@example.com',
    [string] $ModulePath = 'PSCompositeMail'
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

# Without these the script cannot do anything: their errors stop it with exit code 1.
$backends = Import-MailBackend -Path $ProfilePath -Environment $Environment
# Warnings still show; collected, those about the message log make the run need attention (a log is what tells later what happened).
$send = @{ Backend = $backends; ErrorAction = 'SilentlyContinue'; WarningVariable = '+sendWarnings' }
$sendWarnings = @()
if ($LogPath) { $send.LogPath = $LogPath }
$spool = @{}
if ($SpoolDirectory) { $spool.SpoolDirectory = $SpoolDirectory }

function Get-LostMessage {
    <# The errors that need attention: a message kept in the spool (its result has a SpoolPath) is handled, the next run resends it. #>
    param($Errors)
    @($Errors | Where-Object { -not ($_.TargetObject -is [PSCompositeMail.Results.SendResult] -and $_.TargetObject.SpoolPath) })
}

function Write-Undelivered {
    <# One line per message that was not delivered, with its reason: what a log reader needs at 03:00. #>
    param($Results)
    foreach ($result in @($Results | Where-Object { -not $_.Succeeded })) {
        "Not delivered: '$($result.Subject)' <$($result.MessageId)>: $($result.Reason)$(if ($result.SpoolPath) { " (waiting in the spool)" })"
    }
}

$lost = @()
# Named under "Needs attention" but only late (exit 2): nothing is lost.
$attention = @()

# 1. Older messages, oldest first. A failed resend keeps its item in the spool; none of it may stop this run's report.
# An item Get-MailSpool cannot read (it sets it aside and says so) needs attention, but must not keep the readable
# ones from being resent: its errors are collected instead of stopping the pipeline.
if ($SpoolDirectory -and (Test-Path $SpoolDirectory)) {
    try {
        $resent = @(Get-MailSpool $SpoolDirectory -ErrorAction Continue -ErrorVariable spoolErrors | Sort-Object Queued | Send-CompositeMail @send -ErrorVariable resendErrors)
        $lost += @($spoolErrors)
        $lost += Get-LostMessage $resendErrors
        "Older messages: $(@($resent | Where-Object Succeeded).Count) delivered, $(@($resent | Where-Object SpoolPath).Count) still in the spool."
        Write-Undelivered $resent
    }
    catch {
        $lost += $_
    }
}

# 2. This run's report, always attempted.
$now = Get-Date
$report = "Report for $($now.ToString('yyyy-MM-dd')) from $([Environment]::MachineName)"
$body = "$report, made at $($now.ToString('o'))."
$result = Send-CompositeMail @send @spool -From 'ops@example.com' -To $To -Subject $report -Body $body -ErrorVariable reportErrors
$lost += Get-LostMessage $reportErrors
if ($result) {
    "Delivered by: $($result.DeliveredBy -join ', '); spooled: $([bool]$result.SpoolPath)"
    Write-Undelivered $result
}

# 3. The spool's health: warnings name each message waiting longer than -MaxAge, and each poison item.
$late = $false
if ($SpoolDirectory -and (Test-Path $SpoolDirectory)) {
    $health = Test-MailSpool -Path $SpoolDirectory -MaxAge $MaxAge
    "Spool: $($health.Waiting) waiting (oldest $(if ($null -ne $health.Oldest) { $health.Oldest.ToString('d\.hh\:mm\:ss') } else { 'none' })), $($health.Poison) in poison, $($health.Damaged) damaged."
    $late = @($health.Late).Count -gt 0
    # A stuck claim is not lost (the item is whole), but nothing resends it until someone looks: late, and named.
    if ($health.Stuck.Count) {
        $late = $true
        $attention += "$($health.Stuck.Count) spool item(s) held by a resend longer than -MaxAge: the claim is stuck (see the warnings above)."
    }
    if ($health.Poison) { $lost += "$($health.Poison) message(s) in the spool's poison folder: they are not resent by themselves (Get-MailSpool -Poison)." }
    if ($health.Damaged) { $lost += "$($health.Damaged) item(s) in the spool's damaged folder: they cannot be resent as they are (see its .reason files)." }
}

$logFailures = @($sendWarnings | Where-Object { "$_" -like 'The message log *could not be written*' })
if ($logFailures) { $lost += "the message log could not be written $($logFailures.Count) time(s): $($logFailures[0])" }

# Each error says where its message is (not in the spool, in the poison or damaged folder, or still in the spool but not resent).
foreach ($failure in @($lost) + @($attention)) { Write-Warning "Needs attention: $failure" }
exit $(if ($lost.Count) { 1 } elseif ($late) { 2 } else { 0 })
