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
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot),
    [string[]] $FullName,
    [string] $StagingPath = (Join-Path $PSScriptRoot '../out/PSCompositeMail'),
    [string] $PesterPath = (Join-Path $PSScriptRoot '../tools/packages/pester/5.7.1/tools/Pester.psd1'),
    [string] $OlderMailKit = (Join-Path $PSScriptRoot '../tools/packages/mailkit/4.2.0/lib/netstandard2.0/MailKit.dll'),
    [string] $OlderMsal = (Join-Path $PSScriptRoot '../tools/packages/microsoft.identity.client/4.61.3/lib/netstandard2.0/Microsoft.Identity.Client.dll')
)
$ErrorActionPreference = 'Stop'
# 'pwsh -File' hands '-Path a,b' over as the one string 'a,b' (only a PowerShell caller makes it an array).
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })

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
    $env:PSCOMPOSITEMAIL_PESTER_PARAMETERS = @{ Path = $Path; FullName = $FullName; StagingPath = $StagingPath; PesterPath = $PesterPath
        OlderMailKit = $OlderMailKit; OlderMsal = $OlderMsal } | ConvertTo-Json -Compress
    $self = (Get-Process -Id $PID).Path
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    try { & $self @prefix -NoProfile -NonInteractive -File $PSCommandPath }
    finally { Remove-Item $caFolder -Recurse -Force -ErrorAction SilentlyContinue }
    exit $LASTEXITCODE
}
if ($env:PSCOMPOSITEMAIL_PESTER_PARAMETERS) {
    $parameters = $env:PSCOMPOSITEMAIL_PESTER_PARAMETERS | ConvertFrom-Json
    $Path = $parameters.Path; $FullName = $parameters.FullName; $StagingPath = $parameters.StagingPath
    $PesterPath = $parameters.PesterPath; $OlderMailKit = $parameters.OlderMailKit; $OlderMsal = $parameters.OlderMsal
}
Import-Module $PesterPath
$env:PSCOMPOSITEMAIL_MODULE = (Resolve-Path $StagingPath).Path
$env:PSCOMPOSITEMAIL_OLDER_MAILKIT = $OlderMailKit
$env:PSCOMPOSITEMAIL_OLDER_MSAL = $OlderMsal
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($FullName) { $configuration.Filter.FullName = $FullName }
$result = Invoke-Pester -Configuration $configuration
# Failed blocks and containers (a BeforeAll that threw, a file that did not parse) count as failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"$($result.PassedCount) passed, $failed failed"
