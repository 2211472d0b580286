<#
.SYNOPSIS
    Builds, tests and demonstrates PSCompositeMail.
.DESCRIPTION
    Run through the pinned PowerShell local tool, from the repository root:
        dotnet tool restore
        dotnet pwsh ./build.ps1 <task>
    Tasks:
        build  compiles the module and stages it into ./out/PSCompositeMail (what tests import)
        test   builds, then runs every test (xunit and Pester) and ends with 'N passed, N failed'; with -Quick,
               all but the few slow end-to-end tests (tagged Slow) for a quick loop
        demo   builds, then sends a sample message through the console and a folder of .eml files
        bench  builds, then measures throughput, import cost and memory against Postfix's smtp-sink (bench/results.md)
        package  builds, then writes the module's .nupkg for a PowerShell repository into ./out/packages
.PARAMETER Configuration
    Debug or Release (default).
.PARAMETER NoBuild
    For package: package the module already staged in ./out/PSCompositeMail.
.PARAMETER Quick
    For test: skips the Pester tests tagged Slow. Without it, test runs every test.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'bench', 'package')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # package: use the module already staged in ./out/PSCompositeMail instead of building it again.
    [switch] $NoBuild,

    # test: leave out the slow end-to-end tests (tagged Slow).
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$ModuleName = 'PSCompositeMail'
$StagingPath = Join-Path $Root "out/$ModuleName"
$ToolsPath = Join-Path $Root 'tools'
$PesterVersion = '5.7.1'
$OlderMailKit = Join-Path $ToolsPath 'packages/mailkit/4.2.0/lib/netstandard2.0/MailKit.dll'
$OlderMsal = Join-Path $ToolsPath 'packages/microsoft.identity.client/4.61.3/lib/netstandard2.0/Microsoft.Identity.Client.dll'
$OlderAngleSharp = Join-Path $ToolsPath 'packages/anglesharp/0.17.1/lib/netstandard2.0/AngleSharp.dll'

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# The same PowerShell that runs this script, in a fresh process (under 'dotnet pwsh' that process is dotnet itself).
function Invoke-ChildPwsh {
    param([string[]] $Arguments)
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') {
        & $self (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive @Arguments
    }
    else {
        & $self -NoProfile -NonInteractive @Arguments
    }
}

function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $Root "$ModuleName.psd1")).ModuleVersion
}

function Invoke-Build {
    $version = Get-ModuleVersion
    $engine = Join-Path $Root "src/$ModuleName.Engine/$ModuleName.Engine.csproj"
    $publish = Join-Path $Root "out/publish"
    if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
    Invoke-Native dotnet @('publish', $engine, '--nologo', '-v', 'quiet', '-c', $Configuration, '-o', $publish, "-p:Version=$version")

    if (Test-Path $StagingPath) { Remove-Item $StagingPath -Recurse -Force }
    $bin = Join-Path $StagingPath 'bin'
    $null = New-Item -ItemType Directory -Path $bin
    # PowerShell loads PSCompositeMail.dll (cmdlets and the types users see); the engine and the mail libraries go to
    # bin/, from where the module loads them into its own context. PowerShell and the runtime bring the rest.
    $providedByHost = 'System.Management.Automation.dll', 'System.Runtime.Loader.dll'
    Copy-Item (Join-Path $publish "$ModuleName.dll") $StagingPath
    Get-ChildItem $publish -Filter *.dll | Where-Object { $_.Name -notin $providedByHost -and $_.Name -ne "$ModuleName.dll" } |
        Copy-Item -Destination $bin
    Build-ReadyToRunImages $StagingPath
    Copy-Item (Join-Path $Root "$ModuleName.psd1") $StagingPath
    Copy-Item (Join-Path $Root "src/$ModuleName/*.Format.ps1xml") $StagingPath
    $help = Join-Path $StagingPath 'en-US'
    $null = New-Item -ItemType Directory -Path $help
    Copy-Item (Join-Path $Root 'docs/en-US/about_*.help.txt') $help
    Invoke-ChildPwsh @('-File', (Join-Path $Root 'docs/Convert-HelpToMaml.ps1'), '-ModulePath', $StagingPath,
        '-SourcePath', (Join-Path $Root 'docs/en-US'), '-OutputFile', (Join-Path $help "$ModuleName.dll-Help.xml"))
    if ($LASTEXITCODE -ne 0) { throw 'The help could not be built.' }
    Write-Host "Staged $ModuleName $version into $StagingPath"
}

# PowerShell 7 loads the libraries a plain send needs from bin/<rid>/ when that folder matches its OS and architecture:
# ReadyToRun images of the IL in bin/, so a fresh process JIT-compiles far less before its first message
# (bench/profile.md, "Start-up"). bin/ keeps the IL, for Windows PowerShell 5.1 and every other platform, and for the
# libraries only some backends load (BouncyCastle, MSAL, Google, DnsClient...). Microsoft.Bcl.AsyncInterfaces, which a
# send needs too, is PowerShell's own. PSCompositeMail.dll stays IL: both PowerShells load it from the module's root.
$ReadyToRunAssemblies = 'PSCompositeMail.Engine', 'MimeKit', 'MailKit', 'Polly.Core', 'Microsoft.Bcl.TimeProvider'
$ReadyToRunTargets = 'linux-x64', 'win-x64', 'osx-arm64'

function Build-ReadyToRunImages {
    param([string] $ModulePath)
    # The SDK restores crossgen2 for this machine and each target's runtime pack for build/ReadyToRun, then says where.
    $project = Join-Path $Root 'build/ReadyToRun/ReadyToRun.csproj'
    Invoke-Native dotnet @('restore', $project, '--nologo', '-v', 'quiet')
    $bin = Join-Path $ModulePath 'bin'
    foreach ($rid in $ReadyToRunTargets) {
        $json = Invoke-Native dotnet @('msbuild', $project, '-nologo', "-p:RuntimeIdentifier=$rid", '-t:ResolveFrameworkReferences',
            '-t:ResolveReadyToRunCompilers', '-getItem:Crossgen2Tool', '-getItem:ResolvedCrossgen2Pack', '-getItem:ResolvedRuntimePack')
        $items = ($json -join "`n" | ConvertFrom-Json).Items
        $crossgen2 = $items.Crossgen2Tool[0]
        $runtimePack = ($items.ResolvedRuntimePack | Where-Object FrameworkName -EQ 'Microsoft.NETCore.App').PackageDirectory
        $framework = Get-ChildItem (Join-Path $runtimePack "runtimes/$rid/lib") -Directory | Select-Object -First 1
        # Compiled once per IL file and crossgen2 version: the staging folder is rebuilt on every build.
        $cache = Join-Path $Root "out/readytorun/$($items.ResolvedCrossgen2Pack[0].NuGetPackageVersion)/$rid"
        $null = New-Item -ItemType Directory -Path $cache, (Join-Path $bin $rid) -Force
        foreach ($name in $ReadyToRunAssemblies) {
            $il = Join-Path $bin "$name.dll"
            $image = Join-Path $cache "$name-$((Get-FileHash $il).Hash.Substring(0, 16)).dll"
            if (-not (Test-Path $image)) {
                # In a response file: PowerShell would expand the references' wildcards into crossgen2 inputs.
                $arguments = "$image.rsp"
                Set-Content $arguments @($il, '-o', $image, "--targetos:$($crossgen2.TargetOS)", "--targetarch:$($crossgen2.TargetArch)", '-O',
                    '-r', (Join-Path $framework.FullName '*.dll'), '-r', (Join-Path $bin '*.dll'), '-r', (Join-Path $ModulePath "$ModuleName.dll"),
                    '-r', (Join-Path $PSHOME '*.dll'))
                $null = Invoke-Native $crossgen2.Identity @("@$arguments")
            }
            Copy-Item $image (Join-Path $bin "$rid/$name.dll")
        }
    }
}

function Install-TestTools {
    $pester = Join-Path $ToolsPath "packages/pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester) -or -not (Test-Path $OlderMailKit) -or -not (Test-Path $OlderMsal) -or -not (Test-Path $OlderAngleSharp)) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/TestTools.csproj'), '--nologo', '-v', 'quiet',
            '--packages', (Join-Path $ToolsPath 'packages'))
    }
    $pester
}

# Debian packages the tests need: installed with apt-get when $Present says they are missing and this is root on a
# machine with apt-get; otherwise the error says what to run.
function Install-TestPackage {
    param([string[]] $Package, [string] $For, [scriptblock] $Present)
    if (& $Present) { return }
    if ((Get-Command apt-get -ErrorAction Ignore) -and ((& id -u) -eq '0')) {
        Write-Host "Installing $($Package -join ', ') for $For..."
        Invoke-Native apt-get @('update', '-qq')
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get (@('install', '-y', '-qq') + $Package)
        return
    }
    throw "$For need $($Package -join ', '): run ""sudo apt-get install $($Package -join ' ')"" (Debian/Ubuntu), then try again."
}

# Whether Debian's own python3 (not a pyenv one first on PATH) imports these modules.
function Test-DebianPython([string] $Modules) {
    if (-not (Test-Path /usr/bin/python3)) { return $false }
    & /usr/bin/python3 -c "import $Modules" 2>$null
    $LASTEXITCODE -eq 0
}

# The SMTP tests run a real server: Debian's aiosmtpd under Debian's own python3. The DKIM tests verify with Debian's
# dkimpy (python3-dkim) and the S/MIME tests with the openssl command line: verifiers that are not MimeKit. The
# Microsoft 365 and Google tests run local token and Graph servers that sign and check JWTs with python3-jwt and
# python3-cryptography.
function Install-TestSmtpServer {
    Install-TestPackage 'python3-aiosmtpd', 'python3-dkim', 'python3-jwt', 'python3-cryptography', 'openssl' -For 'The SMTP, DKIM, S/MIME and cloud tests' -Present {
        (Test-DebianPython 'aiosmtpd, dkim, jwt, cryptography') -and [bool](Get-Command openssl -ErrorAction Ignore)
    }
}

# The report tests render ConvertTo-MailHtml's HTML in Debian's headless Chromium and read the screenshot's pixels.
function Install-TestBrowser {
    Install-TestPackage 'chromium' -For 'The report tests' -Present {
        [bool](Get-Command chromium, chromium-browser -CommandType Application -ErrorAction Ignore)
    }
}

# The Test-MailDomain tests ask a real DNS server on 127.0.0.1: Debian's dnsmasq, the binary alone (dnsmasq-base: no
# system service is installed or started), run by the tests with a generated configuration and no upstream; they
# compare SPF verdicts with pyspf (python3-spf).
function Install-TestDnsServer {
    Install-TestPackage 'dnsmasq-base', 'python3-spf' -For 'The Test-MailDomain tests' -Present {
        (Test-Path /usr/sbin/dnsmasq) -and (Test-DebianPython 'spf')
    }
}

# The Directory backend's test counts the system calls each message costs with strace.
function Install-TestSystemCallTracer {
    Install-TestPackage 'strace' -For 'The Directory backend tests' -Present { [bool](Get-Command strace -CommandType Application -ErrorAction Ignore) }
}

function Invoke-Test {
    try {
        Invoke-Build
        $pester = Install-TestTools
        Install-TestSmtpServer
        Install-TestBrowser
        Install-TestDnsServer
        Install-TestSystemCallTracer
    }
    catch {
        Write-Host "The tests could not start: $_"
        Write-Host '0 passed, 1 failed'
        exit 1
    }
    $passed = 0
    $failed = 0

    # xunit runs in its own process while Pester runs: both mostly wait (on the compiler, servers, child processes).
    $unitProject = Join-Path $Root 'tests/units/PSCompositeMail.Tests.csproj'
    $trx = Join-Path $Root 'out/unit-tests.trx'
    $unitLog = Join-Path $Root 'out/unit-tests.txt'
    if (Test-Path $trx) { Remove-Item $trx }
    $units = Start-Process -FilePath dotnet -PassThru -RedirectStandardOutput $unitLog -RedirectStandardError "$unitLog.err" -ArgumentList @(
        'test', "`"$unitProject`"", '--nologo', '-c', $Configuration, '--logger', "`"trx;LogFileName=$trx`"", '--logger', "`"console;verbosity=minimal`"")

    # Pester runs in child processes so that the module under test is imported fresh and can be unloaded; the test
    # files are shared out among a few of them. Its last line carries the counts.
    $pesterRan = $false
    $workers = [Math]::Min(8, [Environment]::ProcessorCount + 1)
    $pesterArguments = @('-File', (Join-Path $Root 'tests/Invoke-PesterSuite.ps1'), '-StagingPath', $StagingPath, '-PesterPath', $pester,
        '-OlderMailKit', $OlderMailKit, '-OlderMsal', $OlderMsal, '-Workers', $workers)
    if ($Quick) { $pesterArguments += '-ExcludeTag', 'Slow' }
    Invoke-ChildPwsh $pesterArguments |
        ForEach-Object {
            if ($_ -match '^(\d+) passed, (\d+) failed$') {
                $passed += [int]$Matches[1]
                $failed += [int]$Matches[2]
                $pesterRan = $true
            }
            else { $_ }
        }
    if (-not $pesterRan) {
        $failed++
        Write-Host 'Pester did not finish.'
    }

    $units.WaitForExit()
    Get-Content $unitLog, "$unitLog.err" | Write-Host
    if (Test-Path $trx) {
        $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed
    }
    else {
        $failed++
        Write-Host 'The xunit tests did not run.'
    }

    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $outbox = Join-Path $Root 'demo-outbox'
    Invoke-ChildPwsh @('-File', (Join-Path $Root 'examples/demo.ps1'), '-ModulePath', $StagingPath, '-Outbox', $outbox)
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# The benchmark's reference server and load generator: Postfix's smtp-sink and smtp-source, used standalone.
function Install-Postfix {
    if ((Get-Command smtp-sink -ErrorAction Ignore) -and (Get-Command smtp-source -ErrorAction Ignore)) { return }
    if (-not (Get-Command apt-get -ErrorAction Ignore) -or (& id -u) -ne '0') {
        throw 'The benchmark needs smtp-sink and smtp-source: install the Debian package postfix ("No configuration"), then try again.'
    }
    Write-Host 'Installing postfix (No configuration) for smtp-sink and smtp-source...'
    'postfix postfix/main_mailer_type select No configuration' | & debconf-set-selections
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update', '-qq')
    Invoke-Native apt-get @('install', '-y', '-qq', 'postfix')
}

function Invoke-Bench {
    Invoke-Build
    Install-Postfix
    # The memory rows per path sign with DKIM and S/MIME and send through the local Graph stand-in, as the tests do.
    Install-TestSmtpServer
    Invoke-ChildPwsh @('-File', (Join-Path $Root 'bench/Invoke-Benchmark.ps1'), '-ModulePath', $StagingPath)
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    # Packaged from a copy, so the staged module the tests import stays as built.
    $packageRoot = Join-Path $Root 'out/package'
    if (Test-Path $packageRoot) { Remove-Item $packageRoot -Recurse -Force }
    $module = Join-Path $packageRoot $ModuleName
    $null = New-Item -ItemType Directory -Path $packageRoot
    Copy-Item $StagingPath $module -Recurse
    Copy-Item (Join-Path $Root 'LICENSE') $module
    # The release notes are the newest CHANGELOG section; the source manifest only points at the file.
    $changelog = Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw
    $latest = [regex]::Match($changelog, '(?ms)^## .*?(?=^## |\z)').Value.Trim()
    $manifest = Join-Path $module "$ModuleName.psd1"
    $text = (Get-Content $manifest -Raw).Replace("ReleaseNotes = 'See CHANGELOG.md'", "ReleaseNotes = '$($latest.Replace("'", "''"))'")
    Set-Content -Path $manifest -Value $text -NoNewline
    $null = Test-ModuleManifest $manifest

    $packages = Join-Path $Root 'out/packages'
    if (Test-Path $packages) { Remove-Item $packages -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $packages
    $repository = "$ModuleName-build-$PID"
    Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
    try { Publish-PSResource -Path $module -Repository $repository }
    finally { Unregister-PSResourceRepository -Name $repository }
    Get-ChildItem $packages -Filter *.nupkg | ForEach-Object { Write-Host "Package: $($_.FullName)" }
}

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'demo' { Invoke-Demo }
    'bench' { Invoke-Bench }
    'package' { Invoke-Package }
}
