<#
Runs each real-world Send-MailMessage call of the migration table twice in this (fresh) PowerShell: once as
written, once with only the command renamed to Send-CompositeMail, each inside a function that returns $true
after it, as scripts wrap it. Writes what each run returned, and which messages the servers got meanwhile, as JSON.
Run in a process of its own so that SSL_CERT_FILE (the test certificate as the trusted root, for -UseSsl) applies
to both commands from the start.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $CasesFile,
    [Parameter(Mandatory)] [string] $ResultFile,
    [Parameter(Mandatory)] [string] $PlainFolder,
    [Parameter(Mandatory)] [int] $PlainPort,
    [Parameter(Mandatory)] [string] $TlsFolder,
    [Parameter(Mandatory)] [int] $TlsPort,
    [Parameter(Mandatory)] [string] $Files,
    [Parameter(Mandatory)] [string] $Password
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$credential = [pscredential]::new('mailer', (ConvertTo-SecureString $Password -AsPlainText -Force))

function Get-MessageCount([string] $Folder) {
    @(Get-Content (Join-Path $Folder 'events.jsonl') | Where-Object { $_ -match '"event": "message"' }).Count
}

$runs = foreach ($case in Get-Content $CasesFile -Raw | ConvertFrom-Json) {
    foreach ($command in 'Send-MailMessage', 'Send-CompositeMail') {
        $folder = if ($case.Tls) { $TlsFolder } else { $PlainFolder }
        $before = Get-MessageCount $folder
        $call = [scriptblock]::Create($case.Call.Replace('SEND', $command))
        $PSEmailServer = $null
        $failure = $null
        try {
            # Only the command differs between the two runs; Send-MailMessage's obsolescence warning is not compared.
            $returned = & { function Send-Alert { . $call; return $true }; @(Send-Alert 3>$null) }
        }
        catch { $failure = "$_"; $returned = @() }
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-MessageCount $folder) -le $before -and -not $failure -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        [pscustomobject]@{
            Case     = $case.Name
            Command  = $command
            Returned = @($returned | ForEach-Object { if ($null -eq $_) { '$null' } else { '{0}:{1}' -f $_.GetType().Name, $_ } })
            Failure  = $failure
            Messages = @(($before + 1)..(Get-MessageCount $folder) | Where-Object { $_ -gt $before })
            Folder   = $folder
        }
    }
}
$runs | ConvertTo-Json -Depth 5 | Set-Content -Path $ResultFile
