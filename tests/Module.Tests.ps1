BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:Manifest = Join-Path $script:ModulePath 'PSCompositeMail.psd1'
}

Describe 'The module' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $script:Manifest -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $declared = (Import-PowerShellDataFile $script:Manifest).CmdletsToExport | Sort-Object
        $exported = Get-Command -Module PSCompositeMail | ForEach-Object Name | Sort-Object
        $exported | Should -Be $declared
    }

    It 'imports without a warning in a fresh session' {
        $probe = Join-Path $TestDrive 'import.ps1'
        Set-Content $probe "Import-Module '$script:ModulePath' -WarningVariable w -WarningAction SilentlyContinue; if (`$w) { `$w; exit 3 }; 'imported'"
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'imported'
        $run.ExitCode | Should -Be 0
    }

    It 'uses only approved verbs' {
        $approved = Get-Verb | ForEach-Object Verb
        Get-Command -Module PSCompositeMail | ForEach-Object { $_.Verb | Should -BeIn $approved }
    }

    It 'declares an OutputType on every cmdlet' {
        Get-Command -Module PSCompositeMail | ForEach-Object { $_.OutputType | Should -Not -BeNullOrEmpty -Because $_.Name }
    }

    It 'takes its version from the manifest' {
        $version = (Import-PowerShellDataFile $script:Manifest).ModuleVersion
        (Get-Module PSCompositeMail).Version.ToString() | Should -Be $version
        [PSCompositeMail.Backends.MailBackend].Assembly.GetName().Version.ToString(3) | Should -Be $version
    }
}

Describe 'A scheduled script' {
    BeforeAll {
        $script:Script = Join-Path $TestDrive 'nightly.ps1'
        Set-Content $script:Script @"
param([switch] `$Fail)
`$ErrorActionPreference = 'Stop'
Import-Module '$script:ModulePath'
`$backend = if (`$Fail) { New-MailBackend -ScriptBlock { throw 'relay down' } -Name relay } else { New-MailBackend -Null }
Send-CompositeMail -Backend `$backend -From ops@example.com -To jane@example.com -Subject nightly -Body ok | Out-Null
'done'
"@
    }

    It 'exits 0 when the mail went out' {
        $run = Invoke-TestPwsh -File $script:Script
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'done'
    }

    It 'exits non-zero and names the failed backend when it did not' {
        $run = Invoke-TestPwsh -File $script:Script -Arguments '-Fail'
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Match "backend 'relay' failed: relay down"
        $run.Output | Should -Not -Match 'done'
    }
}

Describe 'Help' {
    BeforeDiscovery { $script:Cmdlets = (Import-PowerShellDataFile (Join-Path $PSScriptRoot '../PSCompositeMail.psd1')).CmdletsToExport }

    It '<_> has a synopsis, a description, examples and every parameter described' -ForEach $Cmdlets {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -Match ([regex]::Escape($_) + '\s+\[') -Because 'an auto-generated synopsis is only the syntax'
        $help.Synopsis.Length | Should -BeGreaterThan 20
        ($help.Description.Text -join ' ').Length | Should -BeGreaterThan 50
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $help.Examples.Example | ForEach-Object { $_.Code | Should -Not -BeNullOrEmpty }
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }) {
            ($help.Parameters.Parameter | Where-Object Name -eq $parameter).Description.Text | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
        $help.ReturnValues | Should -Not -BeNullOrEmpty
    }

    It '<_> shows -WhatIf and -Confirm (when it sends) and the common parameters in its syntax, and every parameter''s default value' -ForEach $Cmdlets {
        $command = Get-Command $_
        $syntax = Get-Help $_ | Select-Object -ExpandProperty syntax | Out-String -Width 1000
        $syntax | Should -Match ([regex]::Escape('[<CommonParameters>]'))
        foreach ($switch in 'WhatIf', 'Confirm') {
            if ($command.Parameters.ContainsKey($switch)) { $syntax | Should -Match "\[-$switch\]" }
        }
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common -or $_ -in 'WhatIf', 'Confirm' }) {
            $entry = (Get-Help $_ -Parameter $parameter)
            "$($entry.defaultValue)" | Should -Not -BeNullOrEmpty -Because "-$parameter needs its default value in the help"
        }
    }

    It 'gives the default a parameter really has, or the one its text states' {
        (Get-Help New-MailBackend -Parameter TimeoutSec).defaultValue | Should -Be '30'
        (Get-Help Send-CompositeMail -Parameter Policy).defaultValue | Should -Be 'All'
        (Get-Help Send-CompositeMail -Parameter ThrottleLimit).defaultValue | Should -Be '1'
        (Get-Help Send-CompositeMail -Parameter UseSsl).defaultValue | Should -Be 'False'
        (Get-Help New-MailBackend -Parameter Port).defaultValue | Should -Match '^25 with -Security None, 465 with SslOnConnect, 587 otherwise$'
    }

    It 'has an about_PSCompositeMail topic explaining backends, policies, the spool and security' {
        $about = Get-Help about_PSCompositeMail | Out-String
        foreach ($topic in 'BACKENDS', 'POLICIES', 'THE SPOOL', 'SECURITY DEFAULTS') { $about | Should -Match $topic }
    }
}

Describe 'The sample scheduled task' {
    BeforeAll {
        $script:Sample = Join-Path $PSScriptRoot '../examples/scheduled-task.ps1'
        $script:TaskProfile = Join-Path $TestDrive 'task.psd1'
        Set-Content $script:TaskProfile @"
@{
    Development = @{ Backends = @( @{ Type = 'Directory'; Path = './outbox' } ) }
    Broken      = @{ Backends = @( @{ Type = 'Smtp'; SmtpServer = '127.0.0.1'; Port = 9; Security = 'None'; RetryCount = 0 } ) }
}
"@
    }

    It 'exits 0 when the report went out' {
        $run = Invoke-TestPwsh -File $Sample -Arguments '-ProfilePath', $TaskProfile, '-Environment', 'Development', '-ModulePath', $ModulePath
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'Delivered by: directory'
        Get-ChildItem (Join-Path $TestDrive 'outbox') -Filter *.eml | Should -HaveCount 1
    }

    It 'exits 1 when it was not delivered, and 0 when the spool kept it' {
        $failed = Invoke-TestPwsh -File $Sample -Arguments '-ProfilePath', $TaskProfile, '-Environment', 'Broken', '-ModulePath', $ModulePath
        $failed.ExitCode | Should -Be 1
        $failed.Output | Should -Match "backend 'smtp' failed"

        $spool = Join-Path $TestDrive 'task-spool'
        $spooled = Invoke-TestPwsh -File $Sample -Arguments '-ProfilePath', $TaskProfile, '-Environment', 'Broken', '-ModulePath', $ModulePath, '-SpoolDirectory', $spool
        $spooled.ExitCode | Should -Be 0
        $spooled.Output | Should -Match 'spooled: True'
        Get-MailSpool $spool | Should -HaveCount 1
    }

    It 'keeps every run''s report through an outage: two runs with the relay down, then one with it up' {
        . $PSScriptRoot/smtp.ps1
        $port = Get-FreeTcpPort
        $outageProfile = Join-Path $TestDrive 'outage.psd1'
        Set-Content $outageProfile "@{ Production = @{ Backends = @( @{ Type = 'Smtp'; Name = 'relay'; SmtpServer = '127.0.0.1'; Port = $port; Security = 'None'; RetryCount = 0 } ) } }"
        $spool = Join-Path $TestDrive 'outage-spool'
        $arguments = '-ProfilePath', $outageProfile, '-Environment', 'Production', '-ModulePath', $ModulePath, '-SpoolDirectory', $spool

        foreach ($down in 1, 2) {
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match 'spooled: True'
            Get-MailSpool $spool | Should -HaveCount $down
        }

        $server = Start-TestSmtpServer -Port $port
        try {
            $run = Invoke-TestPwsh -File $Sample -Arguments $arguments
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match 'Delivered by: relay; spooled: False'
            $received = @(Get-TestSmtpMessage $server)
            $received.Count | Should -Be 3
            @($received.Message.MessageId | Sort-Object -Unique).Count | Should -Be 3
            @($received.Message.TextBody | Sort-Object -Unique).Count | Should -Be 3 -Because 'each run sends its own report'
            Get-MailSpool $spool | Should -BeNullOrEmpty
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'still sends its report when an older message is lost, and then exits 1' {
        $spool = Join-Path $TestDrive 'damaged-spool'
        $null = New-Item -ItemType Directory $spool
        # An .eml without its metadata cannot be resent safely: it is set aside, which the exit code must tell.
        [IO.File]::WriteAllText((Join-Path $spool '20261127T0102030000000Z-00000001-4242-0a1b2c3d.eml'), "From: a@example.com`r`nTo: b@example.com`r`nSubject: orphan`r`n`r`nbody`r`n")
        $run = Invoke-TestPwsh -File $Sample -Arguments '-ProfilePath', $TaskProfile, '-Environment', 'Development', '-ModulePath', $ModulePath, '-SpoolDirectory', $spool
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match 'Delivered by: directory'
        $run.Output | Should -Match 'metadata'
    }

    It 'does not hide the automatic $PROFILE variable' {
        (Get-Command $Sample).Parameters.Keys | Should -Not -Contain 'Profile'
    }

    It 'never prompts under -NonInteractive' {
        $probe = Join-Path $TestDrive 'prompt.ps1'
        Set-Content $probe "Import-Module '$ModulePath'; New-MailBackend -Smtp -SmtpServer 127.0.0.1 -SkipCertificateCheck -WarningAction SilentlyContinue | Out-Null; Send-CompositeMail -Backend (New-MailBackend -Null) -From a@example.com -To b@example.com -Subject s -Body b | Out-Null; 'no prompt'"
        $run = Invoke-TestPwsh -File $probe
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'no prompt'
    }
}

Describe 'Format views' {
    BeforeAll {
        $script:Memory = New-MailBackend -Memory
        $script:Sent = Send-CompositeMail -Backend $script:Memory, (New-MailBackend -Null) -From ops@example.com -To jane@example.com -Subject 'Formatted' -Body b
    }

    It 'shows <Name> as a table with its columns' -ForEach @(
        @{ Name = 'a send result'; Get = { $Sent }; Columns = 'Succeeded\s+Subject\s+To\s+Results' }
        @{ Name = 'backend results'; Get = { $Sent.Results }; Columns = 'Backend\s+Kind\s+Status\s+Duration\s+Where, detail or error' }
        @{ Name = 'kept messages'; Get = { $Memory.Messages }; Columns = 'Date\s+From\s+To\s+Subject' }
        @{ Name = 'backends'; Get = { $Memory }; Columns = 'Name\s+Kind\s+Description' }
        @{ Name = 'test results'; Get = { $Memory | Test-MailBackend }; Columns = 'Backend\s+Kind\s+Succeeded\s+Latency\s+Detail' }
    ) {
        & $Get | Format-Table | Out-String -Width 250 | Should -Match $Columns
    }

    It 'shows a result compactly by default' {
        $Sent | Out-String -Width 250 | Should -Match 'True\s+Formatted\s+jane@example\.com\s+memory: Sent\s+null: Sent'
    }
}

Describe 'Dependency isolation' {
    BeforeAll { . $PSScriptRoot/smtp.ps1 }

    It 'sends over SMTP in a session where another module already loaded a different MailKit' {
        $older = $env:PSCOMPOSITEMAIL_OLDER_MAILKIT
        $older | Should -Exist -Because 'build.ps1 restores MailKit 4.2.0 for this test'
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'isolation.ps1'
            Set-Content $probe @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$older'
Import-Module '$ModulePath'
`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $($server.Port) -Security None
`$result = Send-CompositeMail -Backend `$smtp -From ops@example.com -To jane@example.com -Subject isolated -Body b
"sent: `$(`$result.Succeeded)"
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'MailKit' } | ForEach-Object { 'mailkit ' + `$_.GetName().Version }
"@
            $run = Invoke-TestPwsh -File $probe
            $run.Output | Should -Match 'sent: True'
            $run.Output | Should -Match 'mailkit 4\.2\.0\.0'
            $run.Output | Should -Match 'mailkit 4\.18\.'
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'isolated'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'keeps the mail libraries out of PowerShell''s own load context' {
        $probe = Join-Path $TestDrive 'contexts.ps1'
        Set-Content $probe @"
Import-Module '$ModulePath'
`$null = Send-CompositeMail -Backend (New-MailBackend -Memory) -From a@example.com -To b@example.com -Subject s -Body b
[System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies | Where-Object { `$_.GetName().Name -match '^(MimeKit|MailKit|BouncyCastle|PSCompositeMail.Engine)' } | ForEach-Object { 'default has ' + `$_.GetName().Name }
'done'
"@
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'done'
        $run.Output | Should -Not -Match 'default has'
    }

    It 'ships Polly.Core in bin and loads it into the module''s load context only' {
        Join-Path $ModulePath 'bin/Polly.Core.dll' | Should -Exist
        $probe = Join-Path $TestDrive 'polly.ps1'
        Set-Content $probe @"
Import-Module '$ModulePath'
`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $(Get-FreeTcpPort) -Security None -RetryCount 1 -RetryIntervalSec 0
`$null = Send-CompositeMail -Backend `$smtp -From a@example.com -To b@example.com -Subject s -Body b -ErrorAction SilentlyContinue
foreach (`$context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
    `$context.Assemblies | Where-Object { `$_.GetName().Name -eq 'Polly.Core' } | ForEach-Object { 'polly in ' + `$(if (`$context -eq [System.Runtime.Loader.AssemblyLoadContext]::Default) { 'default' } else { 'module' }) + ' from ' + `$_.Location }
}
"@
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'polly in module from .*bin[\\/]([a-z]+-[a-z0-9]+[\\/])?Polly\.Core\.dll'
        $run.Output | Should -Not -Match 'polly in default'
    }
}

Describe 'ReadyToRun images' {
    BeforeAll {
        . $PSScriptRoot/smtp.ps1
        $script:ImageNames = 'PSCompositeMail.Engine', 'MimeKit', 'MailKit', 'Polly.Core', 'Microsoft.Bcl.TimeProvider'
        $script:LocalRid = '{0}-{1}' -f $(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }),
            [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()

        # What a PE file's headers say: the machine it is for, and whether it carries ReadyToRun code (a managed native
        # header whose signature is 'RTR').
        function Get-ReadyToRunTarget([string] $Path) {
            $reader = [System.Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead($Path))
            try {
                $native = $reader.PEHeaders.CorHeader.ManagedNativeHeaderDirectory
                $signature = if ($native.Size -ge 4) { [BitConverter]::ToUInt32($reader.GetSectionData($native.RelativeVirtualAddress).GetContent(0, 4), 0) }
                $machine = [int]$reader.PEHeaders.CoffHeader.Machine
                # crossgen2 marks an image for another OS than Windows by XOR-ing the machine with that OS's value.
                $os = @{ 0 = 'win'; 0x7B79 = 'linux'; 0x4644 = 'osx' }
                $arch = @{ 0x8664 = 'x64'; 0xAA64 = 'arm64' }
                $target = foreach ($o in $os.Keys) { foreach ($a in $arch.Keys) { if (($a -bxor $o) -eq $machine) { "$($os[$o])-$($arch[$a])" } } }
                [pscustomobject]@{ ReadyToRun = $signature -eq 0x00525452; Target = $target }
            }
            finally { $reader.Dispose() }
        }
    }

    It 'loads the engine, MimeKit and MailKit from bin''s folder for this OS and architecture, and those are ReadyToRun images for it' {
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'r2r.ps1'
            Set-Content $probe @"
Import-Module '$ModulePath'
`$null = Send-CompositeMail -SmtpServer 127.0.0.1 -Port $($server.Port) -From a@example.com -To b@example.com -Subject r2r -Body b
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'PSCompositeMail.Engine', 'MimeKit', 'MailKit' } | ForEach-Object { 'loaded ' + `$_.Location }
"@
            $run = Invoke-TestPwsh -File $probe
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'r2r'
            $loaded = @([regex]::Matches($run.Output, '(?m)^loaded (.+?)\s*$') | ForEach-Object { $_.Groups[1].Value })
            $loaded | Should -HaveCount 3
            foreach ($path in $loaded) {
                Split-Path (Split-Path $path -Parent) -Leaf | Should -Be $LocalRid -Because "$path should come from bin/$LocalRid"
                $image = Get-ReadyToRunTarget $path
                $image.ReadyToRun | Should -BeTrue -Because "$path should be a ReadyToRun image"
                $image.Target | Should -Be $LocalRid
            }
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'ships ReadyToRun images for <_> with the identity of their IL twins in bin/' -ForEach 'linux-x64', 'win-x64', 'osx-arm64' {
        foreach ($name in $ImageNames) {
            $image = Join-Path $ModulePath "bin/$_/$name.dll"
            $il = Join-Path $ModulePath "bin/$name.dll"
            $image | Should -Exist
            $headers = Get-ReadyToRunTarget $image
            $headers.ReadyToRun | Should -BeTrue -Because "$image should be a ReadyToRun image"
            $headers.Target | Should -Be $_
            (Get-ReadyToRunTarget $il).ReadyToRun | Should -BeFalse -Because 'bin/ keeps the IL for Windows PowerShell and other platforms'
            $imageName = [System.Reflection.AssemblyName]::GetAssemblyName($image)
            $ilName = [System.Reflection.AssemblyName]::GetAssemblyName($il)
            $imageName.FullName | Should -Be $ilName.FullName
        }
    }

    It 'keeps PSCompositeMail.dll IL, for both PowerShells' {
        (Get-ReadyToRunTarget (Join-Path $ModulePath 'PSCompositeMail.dll')).ReadyToRun | Should -BeFalse
    }

    It 'loads nothing but PSCompositeMail.dll at import, and only the mail libraries a plain send needs on the first send' {
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'loads.ps1'
            Set-Content $probe @"
`$before = [AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { `$_.FullName }
Import-Module '$ModulePath'
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.FullName -notin `$before } | ForEach-Object { 'import loaded ' + `$_.GetName().Name }
`$before = [AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { `$_.FullName }
Send-CompositeMail -SmtpServer 127.0.0.1 -Port $($server.Port) -From a@example.com -To b@example.com -Subject loads -Body b
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.FullName -notin `$before } | ForEach-Object { 'send loaded ' + `$_.GetName().Name + ' from ' + `$_.Location }
"@
            $run = Invoke-TestPwsh -File $probe
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'loads'
            @([regex]::Matches($run.Output, '(?m)^import loaded (\S+)') | ForEach-Object { $_.Groups[1].Value }) | Should -Be 'PSCompositeMail'
            # Of what the module ships, a plain send takes only these: signing, token, DNS and report libraries wait for a backend or cmdlet that uses them.
            $fromModule = @([regex]::Matches($run.Output, '(?m)^send loaded (\S+) from (.+?)\s*$') |
                Where-Object { $_.Groups[2].Value.StartsWith($ModulePath) } | ForEach-Object { $_.Groups[1].Value } | Sort-Object)
            $fromModule | Should -Be ($ImageNames | Sort-Object)
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'sends with the IL in bin/ when bin has no folder for this OS and architecture' {
        $copy = Join-Path $TestDrive 'il-only/PSCompositeMail'
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $ModulePath $copy -Recurse
        Get-ChildItem (Join-Path $copy 'bin') -Directory | Remove-Item -Recurse -Force
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'il.ps1'
            Set-Content $probe @"
Import-Module '$copy'
Send-CompositeMail -SmtpServer 127.0.0.1 -Port $($server.Port) -From a@example.com -To b@example.com -Subject fallback -Body b
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'MailKit' } | ForEach-Object { 'loaded ' + `$_.Location }
"@
            $run = Invoke-TestPwsh -File $probe
            $run.ExitCode | Should -Be 0
            $run.Output | Should -Match ('loaded ' + [regex]::Escape((Join-Path $copy 'bin/MailKit.dll')))
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'fallback'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'sends with the IL in bin/ when the image for this machine is <Case>' -ForEach @(
        @{ Case = 'damaged (cut short)'; Change = { param($image, $il) $bytes = [IO.File]::ReadAllBytes($image); [IO.File]::WriteAllBytes($image, $bytes[0..4095]) } }
        @{ Case = 'another library''s image'; Change = { param($image, $il) Copy-Item (Join-Path (Split-Path $image) 'Polly.Core.dll') $image -Force } }
        @{ Case = 'the same library''s image for another OS or architecture'; Change = {
                param($image, $il)
                $other = @('linux-x64', 'win-x64', 'osx-arm64' | Where-Object { $_ -ne $LocalRid })[0]
                Copy-Item (Join-Path (Split-Path (Split-Path $image)) "$other/MailKit.dll") $image -Force
            } }
        @{ Case = 'over 2 GB (a sparse tail)'; Change = {
                param($image, $il)
                $file = [IO.File]::Open($image, 'Open', 'ReadWrite')
                try { $file.SetLength(3GB) } finally { $file.Dispose() }
            } }
        @{ Case = 'stale: the IL in bin/ changed after the build (a library patched by hand)'; Change = {
                param($image, $il)
                # A new module version id in the IL's metadata, as a rebuild of the library would have.
                $reader = [System.Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead($il))
                try {
                    $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($reader)
                    $mvid = $metadata.GetGuid($metadata.GetModuleDefinition().Mvid).ToByteArray()
                }
                finally { $reader.Dispose() }
                $bytes = [IO.File]::ReadAllBytes($il)
                # Latin-1 maps each byte to one character: a search through the file's bytes.
                $text = [Text.Encoding]::Latin1.GetString($bytes)
                $needle = [Text.Encoding]::Latin1.GetString($mvid)
                $at = $text.IndexOf($needle, [StringComparison]::Ordinal)
                $text.LastIndexOf($needle, [StringComparison]::Ordinal) | Should -Be $at -Because 'the module version id is in the file once'
                $bytes[$at] = $bytes[$at] -bxor 0xFF
                [IO.File]::WriteAllBytes($il, $bytes)
            } }
    ) {
        $copy = Join-Path $TestDrive "changed-$([guid]::NewGuid().ToString('N').Substring(0, 6))/PSCompositeMail"
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $ModulePath $copy -Recurse
        & $Change (Join-Path $copy "bin/$LocalRid/MailKit.dll") (Join-Path $copy 'bin/MailKit.dll')
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'changed.ps1'
            Set-Content $probe @"
Import-Module '$copy'
Send-CompositeMail -SmtpServer 127.0.0.1 -Port $($server.Port) -From a@example.com -To b@example.com -Subject 'image passed over' -Body b
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'MailKit', 'MimeKit' } | ForEach-Object { 'loaded ' + `$_.Location }
"@
            $run = Invoke-TestPwsh -File $probe
            $run.ExitCode | Should -Be 0
            $run.Output | Should -Match ('loaded ' + [regex]::Escape((Join-Path $copy 'bin/MailKit.dll')))
            $run.Output | Should -Match ('loaded ' + [regex]::Escape((Join-Path $copy "bin/$LocalRid/MimeKit.dll"))) -Because 'the images that still match are taken'
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'image passed over'
        }
        finally { Stop-TestSmtpServer $server }
    }

    It 'does not wait on a named pipe where the image should be, and sends with the IL' -Skip:$IsWindows {
        $copy = Join-Path $TestDrive 'fifo/PSCompositeMail'
        $null = New-Item -ItemType Directory (Split-Path $copy)
        Copy-Item $ModulePath $copy -Recurse
        $image = Join-Path $copy "bin/$LocalRid/MailKit.dll"
        Remove-Item $image
        & mkfifo $image
        $server = Start-TestSmtpServer
        try {
            $probe = Join-Path $TestDrive 'fifo.ps1'
            $output = Join-Path $TestDrive 'fifo.out'
            Set-Content $probe @"
Import-Module '$copy'
`$result = Send-CompositeMail -Backend (New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $($server.Port) -Security None) -From a@example.com -To b@example.com -Subject 'not a pipe' -Body b
"sent: `$(`$result.Succeeded)"
"@
            $process = Start-TestPwsh -File $probe -OutputFile $output
            # Opening a pipe blocks until a writer comes: a process that ends at all has passed it over.
            $ended = $process.WaitForExit(120000)
            if (-not $ended) { $process.Kill() }
            $ended | Should -BeTrue -Because 'a pipe in bin/ must not hang the first send'
            Get-Content $output -Raw | Should -Match 'sent: True'
            (Get-TestSmtpMessage $server).Message.Subject | Should -Be 'not a pipe'
        }
        finally { Stop-TestSmtpServer $server }
    }
}

Describe 'Packaging' {
    It 'builds a .nupkg that installs from a local repository, imports and sends' -Tag Slow {
        $installed = Join-Path $TestDrive 'installed'
        Save-TestModulePackage -Destination $installed | Should -HaveCount 1

        $probe = Join-Path $TestDrive 'install.ps1'
        Set-Content $probe @"
`$ErrorActionPreference = 'Stop'
Import-Module (Join-Path '$installed' 'PSCompositeMail')
`$memory = New-MailBackend -Memory
`$result = Send-CompositeMail -Backend `$memory -From ops@example.com -To jane@example.com -Subject packaged -Body b
"sent: `$(`$result.Succeeded) `$(`$memory.Messages[0].Subject)"
(Get-Module PSCompositeMail).PrivateData.PSData.ReleaseNotes
"@
        $run = Invoke-TestPwsh -File $probe
        $run.Output | Should -Match 'sent: True packaged'
        $run.Output | Should -Match '## v\d+\.\d+\.\d+'
    }
}
