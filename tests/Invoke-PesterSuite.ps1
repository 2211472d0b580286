<#
.SYNOPSIS
    Runs the Pester tests against the staged module and writes 'N passed, N failed' as its last line.
.DESCRIPTION
    build.ps1 test runs it in a child process, so the module under test is imported fresh. To run a few files while
    working (after 'dotnet pwsh ./build.ps1 build'):
        dotnet pwsh ./tests/Invoke-PesterSuite.ps1 -Path ./tests/Spool.Tests.ps1
.PARAMETER Path
    Test files or folders (default: every test under tests/); under 'pwsh -File', several as one comma-separated argument.
.PARAMETER FullName
    Only the tests whose full name matches one of these wildcard patterns.
.PARAMETER ExcludeTag
    Skips the tests with these tags: -ExcludeTag Slow leaves out the few long end-to-end tests for a quick loop.
.PARAMETER Workers
    Runs the test files in this many PowerShell processes at once (default 1: all in this one). Each process takes the
    next file of one shared queue (the files with tests tagged Slow first, then the largest), so a file's servers, ports and test drive stay in one process; most
    tests wait on servers and child processes, so a few workers finish sooner even on two cores.
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot),
    [string[]] $FullName,
    [string[]] $ExcludeTag,
    [ValidateRange(1, 16)] [int] $Workers = 1,
    [string] $StagingPath = (Join-Path $PSScriptRoot '../out/PSCompositeMail'),
    [string] $PesterPath = (Join-Path $PSScriptRoot '../tools/packages/pester/5.7.1/tools/Pester.psd1'),
    [string] $OlderMailKit = (Join-Path $PSScriptRoot '../tools/packages/mailkit/4.2.0/lib/netstandard2.0/MailKit.dll'),
    [string] $OlderMsal = (Join-Path $PSScriptRoot '../tools/packages/microsoft.identity.client/4.61.3/lib/netstandard2.0/Microsoft.Identity.Client.dll')
)
$ErrorActionPreference = 'Stop'
# 'pwsh -File' hands '-Path a,b' over as the one string 'a,b' (only a PowerShell caller makes it an array).
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })

# This same PowerShell, for the child processes below (under 'dotnet pwsh' the process is dotnet, which needs pwsh.dll first).
$self = (Get-Process -Id $PID).Path
$prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

# The child processes below take this run's parameters from the environment.
function Save-SuiteParameter {
    $env:PSCOMPOSITEMAIL_PESTER_PARAMETERS = @{ Path = $Path; FullName = $FullName; ExcludeTag = $ExcludeTag; Workers = $Workers
        StagingPath = $StagingPath; PesterPath = $PesterPath; OlderMailKit = $OlderMailKit; OlderMsal = $OlderMsal } | ConvertTo-Json -Compress
}

# A certificate authority for this run only, trusted by the test process alone: the local HTTPS stand-ins for Entra ID,
# Graph and Google get their certificates from it. .NET on Linux takes its trusted roots from OpenSSL, which reads
# SSL_CERT_FILE from the process environment (setting $env: here does not reach it), so the tests run in a child
# process started with that variable.
if (-not $env:PSCOMPOSITEMAIL_TEST_CA) {
    . (Join-Path $PSScriptRoot 'cloud.ps1')
    $caFolder = Join-Path ([IO.Path]::GetTempPath()) "pscm-ca-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-TestCertificateAuthority -Folder $caFolder
    $env:PSCOMPOSITEMAIL_TEST_CA = Join-Path $caFolder 'ca.pem'
    $env:SSL_CERT_FILE = $env:PSCOMPOSITEMAIL_TEST_CA
    Save-SuiteParameter
    try { & $self @prefix -NoProfile -NonInteractive -File $PSCommandPath }
    finally { Remove-Item $caFolder -Recurse -Force -ErrorAction SilentlyContinue }
    exit $LASTEXITCODE
}
if ($env:PSCOMPOSITEMAIL_PESTER_PARAMETERS) {
    $parameters = $env:PSCOMPOSITEMAIL_PESTER_PARAMETERS | ConvertFrom-Json
    $Path = $parameters.Path; $FullName = $parameters.FullName; $ExcludeTag = $parameters.ExcludeTag; $Workers = $parameters.Workers
    $StagingPath = $parameters.StagingPath; $PesterPath = $parameters.PesterPath; $OlderMailKit = $parameters.OlderMailKit; $OlderMsal = $parameters.OlderMsal
}
$env:PSCOMPOSITEMAIL_MODULE = (Resolve-Path $StagingPath).Path
$env:PSCOMPOSITEMAIL_OLDER_MAILKIT = $OlderMailKit
$env:PSCOMPOSITEMAIL_OLDER_MSAL = $OlderMsal

# Runs the given test files in this process; returns Passed and Failed.
function Invoke-TestFile([string[]] $File) {
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $File
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    if ($FullName) { $configuration.Filter.FullName = $FullName }
    if ($ExcludeTag) { $configuration.Filter.ExcludeTag = $ExcludeTag }
    $result = Invoke-Pester -Configuration $configuration
    # Failed blocks and containers (a BeforeAll that threw, a file that did not parse) count as failures too.
    @{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount }
}

if ($env:PSCOMPOSITEMAIL_PESTER_QUEUE) {
    # A worker: claims the queue's next ticket by renaming it (only one process can), runs its file, until none is left.
    # The tests' own child processes are no workers.
    $queue = $env:PSCOMPOSITEMAIL_PESTER_QUEUE
    $env:PSCOMPOSITEMAIL_PESTER_QUEUE = $null
    Import-Module $PesterPath
    $passed = 0; $failed = 0
    while ($ticket = Get-ChildItem $queue -Filter *.ticket | Sort-Object Name | Select-Object -First 1) {
        try { Move-Item $ticket.FullName "$($ticket.FullName).$PID" -ErrorAction Stop } catch { continue }
        $counts = Invoke-TestFile (Get-Content "$($ticket.FullName).$PID" -Raw).Trim()
        $passed += $counts.Passed; $failed += $counts.Failed
    }
    "$passed passed, $failed failed"
    exit
}

if ($Workers -gt 1) {
    # The long end-to-end files (tagged Slow) first, then the larger ones, so that no long file starts last.
    $files = @(Get-ChildItem $Path -Recurse -Filter *.Tests.ps1 |
            Sort-Object { (Get-Content $_.FullName -Raw) -match '-Tag Slow' }, Length -Descending)
    $queue = Join-Path ([IO.Path]::GetTempPath()) "pscm-pester-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Path $queue
    for ($i = 0; $i -lt $files.Count; $i++) { Set-Content (Join-Path $queue ('{0:d3}.ticket' -f $i)) $files[$i].FullName }
    $env:PSCOMPOSITEMAIL_PESTER_QUEUE = $queue
    Save-SuiteParameter
    $running = @(1..[Math]::Min($Workers, $files.Count) | ForEach-Object {
            $log = Join-Path $queue "worker-$_.txt"
            $process = Start-Process -FilePath $self -ArgumentList ($prefix + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath)) -PassThru `
                -RedirectStandardOutput $log -RedirectStandardError "$log.err"
            [pscustomobject]@{ Process = $process; Log = $log }
        })
    $passed = 0; $failed = 0
    try {
        # Each worker's output as one block, once it is done; their own count lines are summed into one.
        foreach ($worker in $running) {
            $worker.Process.WaitForExit()
            $counted = $false
            foreach ($line in @(Get-Content $worker.Log) + @(Get-Content "$($worker.Log).err")) {
                if ($line -match '^(\d+) passed, (\d+) failed$') { $passed += [int]$Matches[1]; $failed += [int]$Matches[2]; $counted = $true }
                else { $line }
            }
            if (-not $counted) { $failed++; "A Pester worker (process $($worker.Process.Id)) ended without its counts." }
        }
        # A file no worker claimed (they all died) is a failure, not a test that passed by not running.
        foreach ($left in Get-ChildItem $queue -Filter *.ticket) { $failed++; "Not run: $(Get-Content $left.FullName)" }
    }
    finally {
        # Stopped (Ctrl+C) before the workers were done: they and their servers end with this run.
        $running | Where-Object { -not $_.Process.HasExited } | ForEach-Object { $_.Process.Kill($true) }
        Remove-Item $queue -Recurse -Force -ErrorAction SilentlyContinue
    }
    "$passed passed, $failed failed"
    exit
}

Import-Module $PesterPath
$counts = Invoke-TestFile $Path
"$($counts.Passed) passed, $($counts.Failed) failed"
