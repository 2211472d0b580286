<#
.SYNOPSIS
    Runs the Pester tests against the staged module and writes 'N passed, N failed' as its last line.
.DESCRIPTION
    build.ps1 test runs it in a child process, so the module under test is imported fresh. To run a few files while
    working (after 'dotnet pwsh ./build.ps1 build'):
        dotnet pwsh ./tests/Invoke-PesterSuite.ps1 -Path ./tests/Spool.Tests.ps1
.PARAMETER Path
    Test files or folders (default: every test under tests/).
.PARAMETER FullName
    Only the tests whose full name matches one of these wildcard patterns.
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot),
    [string[]] $FullName,
    [string] $StagingPath = (Join-Path $PSScriptRoot '../out/PSCompositeMail'),
    [string] $PesterPath = (Join-Path $PSScriptRoot '../tools/packages/pester/5.7.1/tools/Pester.psd1'),
    [string] $OlderMailKit = (Join-Path $PSScriptRoot '../tools/packages/mailkit/4.2.0/lib/netstandard2.0/MailKit.dll')
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
$env:PSCOMPOSITEMAIL_MODULE = (Resolve-Path $StagingPath).Path
$env:PSCOMPOSITEMAIL_OLDER_MAILKIT = $OlderMailKit
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($FullName) { $configuration.Filter.FullName = $FullName }
$result = Invoke-Pester -Configuration $configuration
# Failed blocks and containers (a BeforeAll that threw, a file that did not parse) count as failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"$($result.PassedCount) passed, $failed failed"
