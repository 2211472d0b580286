<#
.SYNOPSIS
    Measures PSCompositeMail against the protocol ceiling, on loopback, in one run.
.DESCRIPTION
    Starts Postfix's smtp-sink on 127.0.0.1 and measures, several times each (median and range):
    smtp-source with 1 and 4 sessions (the ceilings), MailKit alone in a C# loop, Send-CompositeMail over one connection, the
    same with a console copy on the Verbose stream left off and with a Null backend (the cost of any second backend),
    with -ThrottleLimit 4, and through an SMTP + Directory + Null composite, and Send-MailMessage on a smaller
    count; then the cost of Import-Module over a bare pwsh start, and the peak working set of sending
    1,000 and 100,000 messages, and what one large attachment adds on every path (SMTP, Directory, DKIM,
    S/MIME, Graph); and 1,000 objects to a report with ConvertTo-MailHtml against ConvertTo-Html on the same
    objects. First, the table users feel (issue 25): a scheduled task's whole process against Send-MailMessage and a bare
    pwsh (median of -ColdStarts, interleaved), the -Null backend against MimeKit alone building the same message, the
    first 5,000 messages of a fresh process against smtp-source, the Directory backend, and one warm connection; -Quick
    measures only that table (about two minutes). Prints a table of ratios to each reference
    measured in the same run and writes it to bench/results.md.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Repetitions = 3,
    [int] $ColdStarts = 7,
    [int] $Messages = 10000,
    [int] $LargeBatch = 100000,
    [int] $AttachmentMegabytes = 100,
    [string] $Output = (Join-Path $PSScriptRoot 'results.md'),
    # Only the table users feel (start-up, cost per message, the first batch, Directory, one connection warm): about two minutes.
    [switch] $Quick
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$work = Join-Path $PSScriptRoot 'work'
if (Test-Path $work) { Remove-Item $work -Recurse -Force }
$null = New-Item -ItemType Directory $work

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $listener.Start(); try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Get-PwshCommand {
    $self = (Get-Process -Id $PID).Path
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    [pscustomobject]@{ Path = $self; Prefix = $prefix }
}

function Measure-Rate {
    # Runs the block $Repetitions times; each run returns how many messages it handled, or a Count with the Seconds
    # they took when the block times them itself (a child process, whose start is not part of the rate).
    param([string] $Name, [scriptblock] $Block)
    $rates = foreach ($i in 1..$Repetitions) {
        [GC]::Collect()
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $handled = & $Block
        $seconds = $clock.Elapsed.TotalSeconds
        if ($handled.PSObject.Properties['Seconds']) { $handled.Count / $handled.Seconds } else { $handled / $seconds }
    }
    $sorted = @($rates | Sort-Object)
    $result = [pscustomobject]@{ Name = $Name; Median = $sorted[[int][Math]::Floor($sorted.Count / 2)]; Min = $sorted[0]; Max = $sorted[-1] }
    Write-Host ('{0,-48} {1,9:N0} msg/s  ({2:N0} .. {3:N0})' -f $Name, $result.Median, $result.Min, $result.Max)
    $result
}

function Measure-Sent {
    # Times the sending alone and counts what succeeded afterwards: `Where-Object Succeeded` inside the timing cost about
    # a fifth of a -Null message on its own (its own binding of every result), which is not the module's.
    param([scriptblock] $Send)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $results = @(& $Send)
    $seconds = $clock.Elapsed.TotalSeconds
    $succeeded = 0
    foreach ($result in $results) { if ($result.Succeeded) { $succeeded++ } }
    [pscustomobject]@{ Count = $succeeded; Seconds = $seconds }
}

function Invoke-Child {
    # A fresh pwsh that imports the module and reports its peak working set after running the script text.
    param([string] $Script)
    $file = Join-Path $work ("child-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.ps1')
    Set-Content $file ("Import-Module '$ModulePath'`n" + $Script + "`n[Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64")
    $pwsh = Get-PwshCommand
    $prefix = $pwsh.Prefix
    $out = & $pwsh.Path @prefix -NoProfile -NonInteractive -File $file
    if ($LASTEXITCODE -ne 0) { throw "The child benchmark failed: $out" }
    [long]($out | Select-Object -Last 1)
}

function Measure-ColdStart {
    # Whole processes, as a scheduled task runs them: each command in a fresh pwsh, the commands interleaved so that
    # a busy moment of the machine falls on all of them alike; the median of each.
    param([System.Collections.IDictionary] $Commands)
    $pwsh = Get-PwshCommand
    $prefix = $pwsh.Prefix
    $times = @{}
    foreach ($name in $Commands.Keys) { $times[$name] = [System.Collections.Generic.List[double]]::new() }
    foreach ($i in 1..$ColdStarts) {
        foreach ($name in $Commands.Keys) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            & $pwsh.Path @prefix -NoProfile -NonInteractive -Command $Commands[$name] | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "The cold start of $name failed." }
            $times[$name].Add($clock.Elapsed.TotalMilliseconds)
        }
    }
    $medians = @{}
    foreach ($name in $Commands.Keys) {
        $sorted = @($times[$name] | Sort-Object)
        $medians[$name] = [pscustomobject]@{ Median = $sorted[[int][Math]::Floor($sorted.Count / 2)]; Min = $sorted[0]; Max = $sorted[-1] }
        Write-Host ('{0,-48} {1,9:N0} ms  ({2:N0} .. {3:N0})' -f $name, $medians[$name].Median, $medians[$name].Min, $medians[$name].Max)
    }
    $medians
}

function Invoke-FirstBatch {
    # A fresh process's first messages over one connection: the JIT compiles what runs once, as in a scheduled task.
    param([int] $Count)
    $file = Join-Path $work 'first-batch.ps1'
    Set-Content $file (@(
        "Import-Module '$ModulePath'"
        "`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -MaxMessagesPerConnection 1000000"
        "`$rows = 1..$Count | ForEach-Object { [pscustomobject]@{ To = `"user`$_@example.com`"; Subject = `"First batch `$_`" } }"
        '$clock = [Diagnostics.Stopwatch]::StartNew()'
        "`$results = @(`$rows | Send-CompositeMail -Backend `$smtp -From bench@example.com -Body 'A short benchmark message body.')"
        '$seconds = $clock.Elapsed.TotalSeconds'
        '"$(@($results | Where-Object Succeeded).Count) $seconds"'
    ) -join "`n")
    $pwsh = Get-PwshCommand
    $prefix = $pwsh.Prefix
    $out = & $pwsh.Path @prefix -NoProfile -NonInteractive -File $file
    if ($LASTEXITCODE -ne 0) { throw "The first batch failed: $out" }
    $sent, $seconds = ($out | Select-Object -Last 1) -split ' '
    if ([int]$sent -ne $Count) { throw "The first batch sent $sent of $Count messages." }
    [pscustomobject]@{ Count = [int]$sent; Seconds = [double]::Parse($seconds, [cultureinfo]::InvariantCulture) }
}

# --- the reference server: Postfix's smtp-sink, standalone
$sink = Get-Command smtp-sink -ErrorAction Ignore
$source = Get-Command smtp-source -ErrorAction Ignore
if (-not $sink -or -not $source) { throw "smtp-sink and smtp-source (Debian package postfix) are needed; build.ps1 bench installs them." }
$port = Get-FreePort
$sinkArguments = @(if ((& id -u) -eq '0') { '-u', 'nobody' }) + @('-c', "127.0.0.1:$port", '1000')
$sinkProcess = Start-Process $sink.Source -ArgumentList $sinkArguments -PassThru -RedirectStandardOutput (Join-Path $work 'sink.out') -RedirectStandardError (Join-Path $work 'sink.err')
Start-Sleep -Milliseconds 500

try {
    Import-Module $ModulePath
    $smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -MaxMessagesPerConnection 1000000 -Name sink
    $nullBackend = New-MailBackend -Null
    $rows = 1..$Messages | ForEach-Object { [pscustomobject]@{ To = "user$_@example.com"; Subject = "Benchmark message $_" } }
    $body = 'A short benchmark message body.'
    # Warm up: JIT, connection code paths.
    $null = $rows | Select-Object -First 200 | Send-CompositeMail -Backend $smtp -From bench@example.com -Body $body -ThrottleLimit 4

    Write-Host "Loopback, smtp-sink on port $port, $Repetitions repetitions each:" -ForegroundColor Cyan
    $source1 = Measure-Rate 'smtp-source -d -s 1 (ceiling, one session)' {
        & $source.Source -d -s 1 -m $Messages -f bench@example.com -t user@example.com "127.0.0.1:$port" *> $null; $Messages }

    # --- what users feel, each against a reference measured here: a scheduled task's whole process, the module's own
    # cost per message, the first batch of a fresh process, a pickup folder, one warm connection.
    Write-Host "A scheduled task: one process that sends one message (median of $ColdStarts, interleaved):" -ForegroundColor Cyan
    # PowerShell's own price for importing any binary module (manifest, assembly, cmdlet discovery, its telemetry): a
    # module of one empty cmdlet, imported the same way, is the floor under this module's import.
    $oneCmdlet = Join-Path $work 'OneCmdlet'
    $null = New-Item -ItemType Directory $oneCmdlet
    Add-Type -OutputAssembly (Join-Path $oneCmdlet 'OneCmdlet.dll') -TypeDefinition @'
using System.Management.Automation;
[Cmdlet(VerbsCommunications.Send, "Nothing")]
public sealed class SendNothingCommand : PSCmdlet { [Parameter] public string To { get; set; } }
'@
    Set-Content (Join-Path $oneCmdlet 'OneCmdlet.psd1') "@{ RootModule = 'OneCmdlet.dll'; ModuleVersion = '1.0.0'; GUID = '$([guid]::NewGuid())'; CmdletsToExport = @('Send-Nothing') }"
    $coldStart = Measure-ColdStart ([ordered]@{
        'bare pwsh'          = 'exit'
        'a one-cmdlet module imported' = "Import-Module '$oneCmdlet'"
        'Send-MailMessage'   = "Send-MailMessage -SmtpServer 127.0.0.1 -Port $port -From task@example.com -To ops@example.com -Subject 'Nightly report' -Body 'Done.' -WarningAction SilentlyContinue"
        'Send-CompositeMail' = "Import-Module '$ModulePath'; Send-CompositeMail -SmtpServer 127.0.0.1 -Port $port -From task@example.com -To ops@example.com -Subject 'Nightly report' -Body 'Done.'"
    })
    # MailKit alone: the same message built (and sent) in a C# loop (over one connection), no PowerShell in the way.
    $bin = Join-Path $ModulePath 'bin'
    Add-Type -Path (Join-Path $bin 'BouncyCastle.Cryptography.dll'), (Join-Path $bin 'MimeKit.dll'), (Join-Path $bin 'MailKit.dll')
    Add-Type -ReferencedAssemblies (Join-Path $bin 'MimeKit.dll'), (Join-Path $bin 'MailKit.dll'), netstandard, System.Runtime, System.Collections, System.Threading, System.Net.Sockets, System.Net.Primitives -TypeDefinition @'
public static class MailKitAlone
{
    public static int Send(string host, int port, int count)
    {
        using (var client = new MailKit.Net.Smtp.SmtpClient())
        {
            client.Connect(host, port, MailKit.Security.SecureSocketOptions.None);
            for (var i = 1; i <= count; i++)
            {
                var message = new MimeKit.MimeMessage();
                message.From.Add(MimeKit.MailboxAddress.Parse("bench@example.com"));
                message.To.Add(MimeKit.MailboxAddress.Parse("user" + i + "@example.com"));
                message.Subject = "Benchmark message " + i;
                message.Body = new MimeKit.TextPart("plain") { Text = "A short benchmark message body." };
                client.Send(message);
            }
            client.Disconnect(true);
        }
        return count;
    }

    public static int Build(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            using (var message = new MimeKit.MimeMessage())
            {
                message.From.Add(MimeKit.MailboxAddress.Parse("bench@example.com"));
                message.To.Add(MimeKit.MailboxAddress.Parse("user" + i + "@example.com"));
                message.Subject = "Benchmark message " + i;
                message.Body = new MimeKit.TextPart("plain") { Text = "A short benchmark message body." };
                message.Prepare(MimeKit.EncodingConstraint.SevenBit, 998);
            }
        }
        return count;
    }
}
'@
    # Both warmed up with a whole batch first: the tiered JIT goes on recompiling the hot path for thousands of
    # messages (on a busy machine the -Null rate rose from 1,500 to 9,000 to 24,000 msg/s over three 5,000-message
    # batches), and the module's own cost per message is the steady state; the first batch has a row of its own.
    $null = [MailKitAlone]::Build($Messages)
    $mimeKitBuild = Measure-Rate 'MimeKit alone: the same message built (C# loop)' { [MailKitAlone]::Build($Messages) }
    $null = $rows | Send-CompositeMail -Backend $nullBackend -From bench@example.com -Body $body
    $nullRate = Measure-Rate 'Send-CompositeMail -Null backend (module cost)' {
        Measure-Sent { $rows | Send-CompositeMail -Backend $nullBackend -From bench@example.com -Body $body } }
    $firstBatch = [Math]::Min(5000, $Messages)
    $source5000 = Measure-Rate "smtp-source -d -s 1, $firstBatch messages" {
        & $source.Source -d -s 1 -m $firstBatch -f bench@example.com -t user@example.com "127.0.0.1:$port" *> $null; $firstBatch }
    $fresh = Measure-Rate "first $firstBatch messages of a fresh process" { Invoke-FirstBatch -Count $firstBatch }
    $directoryOnly = New-MailBackend -Directory (Join-Path $work 'directory-only')
    $directoryRate = Measure-Rate 'Send-CompositeMail -Directory alone' {
        $sent = Measure-Sent { $rows | Send-CompositeMail -Backend $directoryOnly -From bench@example.com -Body $body }
        Remove-Item (Join-Path $work 'directory-only') -Recurse -Force
        $sent }
    # Every file is flushed to disk before it appears; flushes that overlap are committed together by the file system,
    # so more of them in flight is how a pickup folder goes faster without giving up that guarantee.
    $directoryWide = Measure-Rate 'Send-CompositeMail -Directory -ThrottleLimit 16' {
        $sent = Measure-Sent { $rows | Send-CompositeMail -Backend $directoryOnly -From bench@example.com -Body $body -ThrottleLimit 16 }
        Remove-Item (Join-Path $work 'directory-only') -Recurse -Force
        $sent }
    $withNull = Measure-Rate 'Send-CompositeMail, SMTP + Null' {
        Measure-Sent { $rows | Send-CompositeMail -Backend $smtp, $nullBackend -From bench@example.com -Body $body } }
    $mailozaurr = Get-Module Mailozaurr -ListAvailable | Select-Object -First 1

    if (-not $Quick) {
        $source4 = Measure-Rate 'smtp-source -d -s 4 (ceiling, four sessions)' {
            & $source.Source -d -s 4 -m ($Messages * 4) -f bench@example.com -t user@example.com "127.0.0.1:$port" *> $null; $Messages * 4 }
        $alone = Measure-Rate 'MailKit alone, one connection (C# loop)' { [MailKitAlone]::Send('127.0.0.1', $port, $Messages) }
        $one = Measure-Rate 'Send-CompositeMail, one connection' {
            Measure-Sent { $rows | Send-CompositeMail -Backend $smtp -From bench@example.com -Body $body } }
        # The debugging copy of the quick start, with its stream off as in production: it must cost nothing beyond being a
        # second backend, so it is measured against SMTP with a Null backend (a second backend that does nothing) too.
        $quietConsole = New-MailBackend -Console -Stream Verbose
        $withQuietConsole = Measure-Rate 'Send-CompositeMail, SMTP + console (Verbose off)' {
            Measure-Sent { $rows | Send-CompositeMail -Backend $smtp, $quietConsole -From bench@example.com -Body $body } }
        $four = Measure-Rate 'Send-CompositeMail -ThrottleLimit 4' {
            Measure-Sent { $rows | Send-CompositeMail -Backend $smtp -From bench@example.com -Body $body -ThrottleLimit 4 } }
        $folder = New-MailBackend -Directory (Join-Path $work 'outbox')
        $compositeRows = $rows | Select-Object -First ([Math]::Min(2000, $Messages))
        $composite = Measure-Rate 'Send-CompositeMail, SMTP + Directory + Null' {
            $sent = Measure-Sent { $compositeRows | Send-CompositeMail -Backend $smtp, $folder, (New-MailBackend -Null) -From bench@example.com -Body $body }
            Remove-Item (Join-Path $work 'outbox') -Recurse -Force
            $sent }
        $legacyRows = $rows | Select-Object -First 200
        $legacy = Measure-Rate 'Send-MailMessage (200 messages)' {
            foreach ($row in $legacyRows) {
                Send-MailMessage -SmtpServer 127.0.0.1 -Port $port -From bench@example.com -To $row.To -Subject $row.Subject -Body $body -WarningAction SilentlyContinue
            }
            $legacyRows.Count }

        # --- reports: 1,000 objects to a MailBody (HTML with inline styles and text), against ConvertTo-Html on the same objects
        Write-Host 'Reports (rows per second):' -ForegroundColor Cyan
        $reportRows = 1..1000 | ForEach-Object { [pscustomobject]@{ Name = "server$_"; Status = @('Running', 'Stopped')[$_ % 7 -eq 0]; Used = $_ % 101; Checked = [datetime]::new(2026, 12, 7).AddMinutes($_) } }
        $null = $reportRows | Select-Object -First 50 | ConvertTo-MailHtml -Bar Used
        $convertToHtml = Measure-Rate 'ConvertTo-Html | Out-String (1,000 rows)' { $null = $reportRows | ConvertTo-Html | Out-String; $reportRows.Count }
        $mailHtml = Measure-Rate 'ConvertTo-MailHtml -Highlight -Bar (1,000 rows)' {
            $null = $reportRows | ConvertTo-MailHtml -Title 'Bench' -Markdown 'A **report**.' -Bar Used -Highlight @{ Critical = { $_.Status -eq 'Stopped' }; Good = { $_.Used -lt 10 } }
            $reportRows.Count }

        # --- Import-Module cost over a bare start
        Write-Host 'Import-Module cost (5 starts each):' -ForegroundColor Cyan
        $pwsh = Get-PwshCommand
        $prefix = $pwsh.Prefix
        function Measure-Start([string] $Command) {
            $times = foreach ($i in 1..5) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                & $pwsh.Path @prefix -NoProfile -NonInteractive -Command $Command | Out-Null
                $clock.Elapsed.TotalMilliseconds
            }
            ($times | Sort-Object)[2]
        }
        $bare = Measure-Start 'exit'
        $imported = Measure-Start "Import-Module '$ModulePath'; exit"
        $importCost = $imported - $bare
        Write-Host ('bare pwsh {0:N0} ms, with Import-Module {1:N0} ms: +{2:N0} ms' -f $bare, $imported, $importCost)

        # --- memory: streaming, not keeping anything per message
        Write-Host 'Peak working set (one run each):' -ForegroundColor Cyan
        $sendMany = "`$smtp = New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None -MaxMessagesPerConnection 1000000`n" +
            "1..{0} | ForEach-Object {{ [pscustomobject]@{{ To = `"user`$_@example.com`"; Subject = `"Memory `$_`" }} }} | Send-CompositeMail -Backend `$smtp -From bench@example.com -Body 'memory' | ForEach-Object {{ if (-not `$_.Succeeded) {{ throw 'not sent' }} }}"
        $peakSmall = Invoke-Child ($sendMany -f 1000)
        $peakLarge = Invoke-Child ($sendMany -f $LargeBatch)
        Write-Host ('1,000 messages: {0:N0} MB; {1:N0} messages: {2:N0} MB' -f ($peakSmall / 1MB), $LargeBatch, ($peakLarge / 1MB))

        # --- memory per path for one large attachment: each path's peak after sending it over its peak after sending a
        # small one first, in the same fresh process (loading the path's libraries is not the attachment's cost). The helpers are the tests' own (tests/memory.ps1 and
        # the servers and certificates of tests/*.ps1); the Graph stand-in's test CA is trusted by the children only.
        Write-Host "Peak working set per path, one $AttachmentMegabytes MB attachment (one run each):" -ForegroundColor Cyan
        $env:PSCOMPOSITEMAIL_MODULE = $ModulePath
        $tests = Join-Path $PSScriptRoot '../tests'
        . (Join-Path $tests 'common.ps1')
        . (Join-Path $tests 'smtp.ps1')
        . (Join-Path $tests 'cloud.ps1')
        # cloud.ps1's CA (for TLS) first: signing.ps1 has a New-TestCertificateAuthority of its own (for S/MIME).
        $cloudAuthority = New-TestCertificateAuthority -Folder (Join-Path $work 'cloud-ca')
        $env:PSCOMPOSITEMAIL_TEST_CA = $env:SSL_CERT_FILE = Join-Path $work 'cloud-ca/ca.pem'
        . (Join-Path $tests 'signing.ps1')
        . (Join-Path $tests 'memory.ps1')
        $attachment = New-LargeTestFile -Path (Join-Path $work 'large.bin') -Megabytes $AttachmentMegabytes
        $smallAttachment = Join-Path $work 'small.bin'
        Set-Content $smallAttachment 'small'
        $smimeAuthority = New-TestCertificateAuthority -Folder (Join-Path $work 'smime-ca')
        $signerCertificate = New-TestSmimeCertificate -Authority $smimeAuthority -Address 'ops@example.com'
        $recipientCertificate = New-TestSmimeCertificate -Authority $smimeAuthority -Address 'jane@example.com'
        $dkim = "-DkimDomain example.com -DkimSelector bench -DkimPrivateKeyPath '$(New-TestDkimKey -Folder (Join-Path $work 'keys'))'"
        $toSink = "New-MailBackend -Smtp -SmtpServer 127.0.0.1 -Port $port -Security None"
        $toFolder = "New-MailBackend -Directory '$(Join-Path $work 'memory-outbox')'"
        $signing = "SigningCertificatePath = '$($signerCertificate.Pfx)'; SigningCertificatePassword = (ConvertTo-SecureString test -AsPlainText -Force)"
        $encryption = "EncryptionCertificatePath = '$($recipientCertificate.Pem)'"
        $graphSecret = [guid]::NewGuid().ToString('N')
        $graphServer = Start-TestCloudServer -Authority $cloudAuthority -Config @{ entra = @{ tenant = 'contoso.onmicrosoft.com'; clients = @(@{ client_id = 'bench'; secret = $graphSecret }) } }
        try {
            $paths = [ordered]@{
                'SMTP (the reference)'             = @($toSink, '@{}')
                'Directory'                        = @($toFolder, '@{}')
                'DKIM over SMTP'                   = @("$toSink $dkim", '@{}')
                'DKIM through Directory'           = @("$toFolder $dkim", '@{}')
                'S/MIME sign'                      = @($toSink, "@{ $signing }")
                'S/MIME encrypt'                   = @($toSink, "@{ $encryption }")
                'S/MIME sign + encrypt'            = @($toSink, "@{ $signing; $encryption }")
                'Graph (draft + upload sessions)'  = @("New-MailBackend -Graph -TenantId contoso.onmicrosoft.com -ClientId bench -ClientSecret (ConvertTo-SecureString '$graphSecret' -AsPlainText -Force) -AuthorityHost $($graphServer.Url) -GraphEndpoint $($graphServer.Url)", '@{}')
            }
            # The same two messages as .eml files, sent with -Path (as a spooled message is sent again).
            $built = New-MailBackend -Directory (Join-Path $work 'built')
            foreach ($file in $smallAttachment, $attachment) {
                $null = Send-CompositeMail -Backend $built -From ops@example.com -To jane@example.com -Subject large -Body b -Attachments $file
            }
            $messageFiles = Get-ChildItem (Join-Path $work 'built') -Filter *.eml | Sort-Object Length | ForEach-Object FullName
            $paths['.eml file (-Path) to Directory'] = @($toFolder, '@{}', 'Send-CompositeMail -Backend $backend -Path $file', $messageFiles)
            $pathPeaks = foreach ($path in $paths.GetEnumerator()) {
                $send = @{ SmallAttachment = $smallAttachment; Attachment = $attachment }
                if ($path.Value.Count -gt 2) { $send = @{ Send = $path.Value[2]; SmallAttachment = $path.Value[3][0]; Attachment = $path.Value[3][1] } }
                $peak = Measure-SendPeak -Backend $path.Value[0] -Parameters $path.Value[1] @send -Folder $work
                Remove-Item (Join-Path $work 'memory-outbox') -Recurse -Force -ErrorAction Ignore
                $row = [pscustomobject]@{ Name = $path.Key; Small = $peak.Small; Large = $peak.Large; Ratio = ($peak.Large - $peak.Small) / ($AttachmentMegabytes * 1MB) }
                Write-Host ('{0,-34} {1,5:N0} MB after a small attachment, {2,5:N0} MB after it: {3:+#,0;-#,0;0} MB ({4:N2} x its size)' -f $row.Name, ($row.Small / 1MB), ($row.Large / 1MB), (($row.Large - $row.Small) / 1MB), $row.Ratio)
                $row
            }
        }
        finally { $graphServer | Stop-TestCloudServer }
    }
}
finally {
    $sinkProcess | Stop-Process -ErrorAction Ignore
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}

function Format-Check([bool] $Met) { if ($Met) { 'met' } else { '**not met**' } }
$cpu = ((Get-Content /proc/cpuinfo -ErrorAction Ignore | Where-Object { $_ -match '^model name' } | Select-Object -First 1) -replace '^model name\s*:\s*', '')
$memory = [Math]::Round(((Get-Content /proc/meminfo -ErrorAction Ignore | Select-Object -First 1) -replace '\D', '') / 1MB, 1)
$task = $coldStart['Send-CompositeMail']; $legacyTask = $coldStart['Send-MailMessage']; $bareStart = $coldStart['bare pwsh']
$anyModule = $coldStart['a one-cmdlet module imported']
$mailozaurrNote = if ($mailozaurr) { "Mailozaurr $($mailozaurr.Version) is installed but not measured here" } else { 'Mailozaurr is not installed here (no PowerShell Gallery): its 560-844 msg/s (a new connection per message) is an earlier sitting''s figure, a note only' }
$lines = @(
    "# PSCompositeMail benchmark"
    ''
    "Measured $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC on $([Environment]::ProcessorCount) cores ($cpu), $memory GiB, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), PowerShell $($PSVersionTable.PSVersion); loopback to Postfix's smtp-sink; median of $Repetitions runs (range in brackets); $Messages messages per run unless noted."
    ''
    '## What users feel (issue 25): each row against its reference in this run'
    ''
    '| measure | now | reference in this run | ratio | goal |'
    '|---|---:|---|---:|---|'
    ('| a scheduled task: a fresh pwsh imports the module and sends one message (median of {0}) | {1:N0} ms [{2:N0}..{3:N0}] | Send-MailMessage {4:N0} ms; bare pwsh {5:N0} ms | {6:N2} x Send-MailMessage; module +{7:N0} ms over bare | <= 0.9 x: {8} |' -f $ColdStarts, $task.Median, $task.Min, $task.Max, $legacyTask.Median, $bareStart.Median, ($task.Median / $legacyTask.Median), ($task.Median - $bareStart.Median), (Format-Check ($task.Median / $legacyTask.Median -le 0.9)))
    ('| the same, the floor under it: a fresh pwsh imports a binary module of one empty cmdlet | {0:N0} ms [{1:N0}..{2:N0}] | bare pwsh {3:N0} ms | +{4:N0} ms over bare, {5:N2} x Send-MailMessage before any message | |' -f $anyModule.Median, $anyModule.Min, $anyModule.Max, $bareStart.Median, ($anyModule.Median - $bareStart.Median), ($anyModule.Median / $legacyTask.Median))
    ('| module cost per message, -Null backend | {0:N0} [{1:N0}..{2:N0}] msg/s | MimeKit alone building the same message in a C# loop: {3:N0} msg/s | {4:N2} | >= 40,000 msg/s: {5} |' -f $nullRate.Median, $nullRate.Min, $nullRate.Max, $mimeKitBuild.Median, ($nullRate.Median / $mimeKitBuild.Median), (Format-Check ($nullRate.Median -ge 40000)))
    ('| one connection, first {0:N0} messages of a fresh process | {1:N0} [{2:N0}..{3:N0}] msg/s | smtp-source -d -s 1, {0:N0} messages: {4:N0} msg/s | {5:N2} | >= 0.8: {6} |' -f $firstBatch, $fresh.Median, $fresh.Min, $fresh.Max, $source5000.Median, ($fresh.Median / $source5000.Median), (Format-Check ($fresh.Median / $source5000.Median -ge 0.8)))
    ('| -Directory backend alone | {0:N0} [{1:N0}..{2:N0}] msg/s | -Null backend: {3:N0} msg/s | {4:N2} | >= 10,000 msg/s: {5} |' -f $directoryRate.Median, $directoryRate.Min, $directoryRate.Max, $nullRate.Median, ($directoryRate.Median / $nullRate.Median), (Format-Check ($directoryRate.Median -ge 10000)))
    ('| -Directory backend, -ThrottleLimit 16 (each file still flushed; overlapping flushes are committed together) | {0:N0} [{1:N0}..{2:N0}] msg/s | -Directory alone | {3:N2} | |' -f $directoryWide.Median, $directoryWide.Min, $directoryWide.Max, ($directoryWide.Median / $directoryRate.Median))
    ('| one connection warm (SMTP + Null) | {0:N0} [{1:N0}..{2:N0}] msg/s | smtp-source -d -s 1: {3:N0} msg/s | {4:N2} | >= 5 x Mailozaurr (>= 4,220 msg/s on the earlier figure): {5} |' -f $withNull.Median, $withNull.Min, $withNull.Max, $source1.Median, ($withNull.Median / $source1.Median), (Format-Check ($withNull.Median -ge 5 * 844)))
    ''
    "$mailozaurrNote."
    ''
)
if (-not $Quick) { $lines += @(
    '## Throughput, import cost and memory'
    ''
    '| measurement | msg/s | reference | ratio | target |'
    '|---|---:|---|---:|---|'
    ('| smtp-source -d -s 1 | {0:N0} [{1:N0}..{2:N0}] | (ceiling, one session) | | |' -f $source1.Median, $source1.Min, $source1.Max)
    ('| smtp-source -d -s 4 | {0:N0} [{1:N0}..{2:N0}] | (ceiling, four sessions) | | |' -f $source4.Median, $source4.Min, $source4.Max)
    ('| MailKit alone, one connection (C# loop) | {0:N0} [{1:N0}..{2:N0}] | smtp-source -s 1 | {3:N2} | |' -f $alone.Median, $alone.Min, $alone.Max, ($alone.Median / $source1.Median))
    ('| Send-CompositeMail, one connection | {0:N0} [{1:N0}..{2:N0}] | smtp-source -s 1 | {3:N2} | >= 0.8: {4} |' -f $one.Median, $one.Min, $one.Max, ($one.Median / $source1.Median), (Format-Check ($one.Median / $source1.Median -ge 0.8)))
    ('| Send-CompositeMail, one connection | | MailKit alone | {0:N2} | |' -f ($one.Median / $alone.Median))
    ('| SMTP + Null (a second backend that does nothing) | {0:N0} [{1:N0}..{2:N0}] | one connection | {3:N2} | |' -f $withNull.Median, $withNull.Min, $withNull.Max, ($withNull.Median / $one.Median))
    ('| SMTP + console -Stream Verbose, stream off | {0:N0} [{1:N0}..{2:N0}] | one connection | {3:N2} | |' -f $withQuietConsole.Median, $withQuietConsole.Min, $withQuietConsole.Max, ($withQuietConsole.Median / $one.Median))
    ('| SMTP + console -Stream Verbose, stream off | | SMTP + Null | {0:N2} | >= 0.95: {1} |' -f ($withQuietConsole.Median / $withNull.Median), (Format-Check ($withQuietConsole.Median / $withNull.Median -ge 0.95)))
    ('| Send-CompositeMail -ThrottleLimit 4 | {0:N0} [{1:N0}..{2:N0}] | smtp-source -s 4 | {3:N2} | >= 0.5: {4} |' -f $four.Median, $four.Min, $four.Max, ($four.Median / $source4.Median), (Format-Check ($four.Median / $source4.Median -ge 0.5)))
    ('| Send-CompositeMail -ThrottleLimit 4 | | one connection | {0:N2} | >= 3: {1} |' -f ($four.Median / $one.Median), (Format-Check ($four.Median / $one.Median -ge 3)))
    ('| SMTP + Directory + Null composite ({0:N0} messages) | {1:N0} [{2:N0}..{3:N0}] | one connection | {4:N2} | |' -f $compositeRows.Count, $composite.Median, $composite.Min, $composite.Max, ($composite.Median / $one.Median))
    ('| Send-MailMessage (200 messages) | {0:N0} [{1:N0}..{2:N0}] | | | |' -f $legacy.Median, $legacy.Min, $legacy.Max)
    ('| Send-CompositeMail, one connection | | Send-MailMessage | {0:N0} | >= 100: {1} |' -f ($one.Median / $legacy.Median), (Format-Check ($one.Median / $legacy.Median -ge 100)))
    ('| ConvertTo-MailHtml, 1,000 rows to a MailBody (rows/s) | {0:N0} [{1:N0}..{2:N0}] = {3:N0} ms | ConvertTo-Html, same rows ({4:N0} ms) | {5:N2} | < 1 s: {6} |' -f $mailHtml.Median, $mailHtml.Min, $mailHtml.Max, (1000000 / $mailHtml.Median), (1000000 / $convertToHtml.Median), ($mailHtml.Median / $convertToHtml.Median), (Format-Check (1000 / $mailHtml.Median -lt 1)))
    ''
    '| measurement | value | target |'
    '|---|---:|---|'
    ('| Import-Module over a bare pwsh start (median of 5) | +{0:N0} ms (bare {1:N0} ms) | < 150 ms: {2} |' -f $importCost, $bare, (Format-Check ($importCost -lt 150)))
    ('| peak working set, 1,000 messages | {0:N0} MB | |' -f ($peakSmall / 1MB))
    ('| peak working set, {0:N0} messages | {1:N0} MB ({2:N2} x) | <= 1.5 x: {3} |' -f $LargeBatch, ($peakLarge / 1MB), ($peakLarge / $peakSmall), (Format-Check ($peakLarge / $peakSmall -le 1.5)))
    ''
    "| one $AttachmentMegabytes MB attachment, through | peak after a small one | peak after it | it adds | target |"
    '|---|---:|---:|---:|---|'
    $pathPeaks | ForEach-Object {
        '| {0} | {1:N0} MB | {2:N0} MB | {3:+#,0;-#,0;0} MB ({4:N2} x its size) | < 2 x: {5} |' -f $_.Name, ($_.Small / 1MB), ($_.Large / 1MB), (($_.Large - $_.Small) / 1MB), $_.Ratio, (Format-Check ($_.Ratio -lt 2))
    }
) }
Set-Content -Path $Output -Value $lines
Write-Host ''
$lines | ForEach-Object { Write-Host $_ }
Write-Host "`nWritten to $Output"
