<#
.SYNOPSIS
    Registers examples/scheduled-task.ps1 with the Windows Task Scheduler: every night at 03:00, run by the machine's
    own PowerShell 7 with the module installed for all users (see README, "Running unattended").
.DESCRIPTION
    Run once, elevated, on the server. The task runs as -User (a service account with "Log on as a batch job"); the
    profile's secrets come from that account's DPAPI-protected CredentialFile or from environment variables.
    Task Scheduler shows the script's exit code as the "Last Run Result":
    0 (0x0)  delivered, or waiting in the spool for less than -MaxAge
    2 (0x2)  a message has waited longer than -MaxAge: the relays have been failing for hours
    1 (0x1)  a message failed for good (poison, damaged) or could not be kept; or the script failed
    An event trigger or a monitoring check on "Last Run Result" not 0 is what tells someone.
#>
param(
    [string] $User = "$env:USERDOMAIN\svc-mailreport",
    [string] $Folder = 'C:\Ops',
    [string] $Pwsh = (Join-Path $env:ProgramFiles 'PowerShell\7\pwsh.exe')
)
$ErrorActionPreference = 'Stop'
$arguments = "-NoProfile -NonInteractive -File `"$Folder\scheduled-task.ps1`" -ProfilePath `"$Folder\mail.psd1`" " +
    "-Environment Production -SpoolDirectory `"$Folder\Spool`" -LogPath `"$Folder\mail.log`" -MaxAge 04:00:00"
$action = New-ScheduledTaskAction -Execute $Pwsh -Argument $arguments -WorkingDirectory $Folder
$trigger = New-ScheduledTaskTrigger -Daily -At '03:00'
# A run may not hang forever (a dead relay is bounded by -TimeoutSec, but a task should be too), and one run at a time.
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Hours 1) -MultipleInstances IgnoreNew -StartWhenAvailable
$credential = Get-Credential -UserName $User -Message 'The account the task runs as'
Register-ScheduledTask -TaskName 'PSCompositeMail nightly report' -Action $action -Trigger $trigger -Settings $settings `
    -User $credential.UserName -Password $credential.GetNetworkCredential().Password -RunLevel Limited
