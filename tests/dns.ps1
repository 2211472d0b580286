# Helpers that run a real DNS server on 127.0.0.1 for the Test-MailDomain tests: Debian's dnsmasq with a generated
# configuration that answers for the test zones only (local=/zone/: unknown names there are NXDOMAIN), has no upstream
# and reads nothing from /etc, so no query ever leaves the machine. SPF verdicts are compared with pyspf (python3-spf).
$script:Dnsmasq = '/usr/sbin/dnsmasq'
. $PSScriptRoot/smtp.ps1

function Get-FreeUdpPort {
    <# A port free for UDP and TCP on 127.0.0.1 (dnsmasq listens on both). #>
    for ($try = 0; $try -lt 20; $try++) {
        $udp = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $port = $udp.Client.LocalEndPoint.Port
        $udp.Dispose()
        $tcp = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, $port)
        try { $tcp.Start(); $tcp.Stop(); return $port } catch { continue }
    }
    throw 'No free UDP and TCP port on 127.0.0.1.'
}

function ConvertTo-DnsmasqTxt {
    <# A txt-record= line; text longer than 255 characters is split into several strings, as DNS requires. #>
    param([string] $Name, [string] $Text)
    $strings = for ($i = 0; $i -lt $Text.Length; $i += 255) { '"' + $Text.Substring($i, [Math]::Min(255, $Text.Length - $i)) + '"' }
    "txt-record=$Name,$($strings -join ',')"
}

function Start-TestDnsServer {
    <#
        Starts dnsmasq on a free port of 127.0.0.1 with the given configuration lines (txt-record=, mx-host=,
        host-record=) and answers authoritatively for -Zone; returns Port, Server ('127.0.0.1:port') and Process.
    #>
    param([string[]] $Line, [string[]] $Zone = @('test'))
    $folder = Join-Path ([IO.Path]::GetTempPath()) "pscm-dns-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Path $folder
    $config = Join-Path $folder 'dnsmasq.conf'
    $lines = @($Zone | ForEach-Object { "local=/$_/" }) + $Line
    Set-Content -Path $config -Value $lines -Encoding utf8NoBOM
    $port = Get-FreeUdpPort
    $arguments = @('--keep-in-foreground', '--no-resolv', '--no-hosts', "--port=$port", '--listen-address=127.0.0.1', '--bind-interfaces',
        "--conf-file=$config", '--pid-file=', '--log-facility=-')
    $process = Start-Process -FilePath $script:Dnsmasq -ArgumentList $arguments -PassThru `
        -RedirectStandardError (Join-Path $folder 'stderr.txt') -RedirectStandardOutput (Join-Path $folder 'stdout.txt')
    $server = [pscustomobject]@{ Port = $port; Server = "127.0.0.1:$port"; Process = $process; Folder = $folder }
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($process.HasExited) { throw "dnsmasq exited: $(Get-Content (Join-Path $folder 'stderr.txt') -Raw)" }
        $probe = [System.Net.Sockets.TcpClient]::new()
        try { $probe.Connect([ipaddress]::Loopback, $port); return $server } catch { Start-Sleep -Milliseconds 100 } finally { $probe.Dispose() }
    }
    Stop-TestDnsServer $server
    throw "dnsmasq did not start on port $port."
}

function Get-PyspfResult {
    <# What pyspf (Debian's python3-spf, not the module's evaluator) concludes for mail from that address: pass, fail, softfail, neutral, none, permerror ('unknown' in pyspf's old naming) or temperror. #>
    param($Server, [string] $Domain, [string] $Address)
    $line = & /usr/bin/python3 (Join-Path $PSScriptRoot 'servers/spf_check.py') --port $Server.Port --domain $Domain $Address
    if ($LASTEXITCODE -ne 0) { throw "spf_check.py failed: $line" }
    $result = ($line | ConvertFrom-Json).result
    if ($result -eq 'unknown') { 'permerror' } elseif ($result -eq 'error') { 'temperror' } else { $result }
}

# A dnsmasq server has the shape of the SMTP test servers (Process, Folder): stopped and cleaned up the same way.
Set-Alias -Name Stop-TestDnsServer -Value Stop-TestSmtpServer -Scope Script

function Start-TestMisbehavingDnsServer {
    <# servers/misbehaving_dns_server.py in front of a dnsmasq test server: a wrong ID, a pointer loop or a lost reply for chosen names (see the script). #>
    param([Parameter(Mandatory)] $Upstream)
    $server = Start-TestServerProcess -Script (Join-Path $PSScriptRoot 'servers/misbehaving_dns_server.py') -Port (Get-FreeUdpPort) -Mode by-name `
        -Arguments @('--upstream-port', $Upstream.Port) -IsReady { param($server) (Get-Content (Join-Path $server.Folder 'stdout.txt') -Raw) -match 'ready' }
    $server | Add-Member -NotePropertyName Server -NotePropertyValue "127.0.0.1:$($server.Port)" -PassThru
}
