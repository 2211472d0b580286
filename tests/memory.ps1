# Helpers for measuring what sending one large attachment adds to a process's peak memory (dot-source common.ps1 first).
# Each measurement is a fresh PowerShell that imports the module, builds its backend from the given script text,
# sends one message with the attachment and prints its peak working set (on Linux the kernel's VmHWM), so what one
# path holds at once is measured apart from everything else the test process ever held.

function New-LargeTestFile {
    <# A file of $Megabytes MB of random bytes (random, so that no compression or deduplication hides a copy). #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [int] $Megabytes)
    $stream = [IO.File]::Create($Path)
    try {
        $buffer = [byte[]]::new(1MB)
        $random = [Random]::new(7)
        foreach ($i in 1..$Megabytes) { $random.NextBytes($buffer); $stream.Write($buffer, 0, $buffer.Length) }
    }
    finally { $stream.Dispose() }
    $Path
}

function Measure-SendPeak {
    <#
    In a fresh PowerShell, sends one message with -SmallAttachment, then one with -Attachment, through the backend that
    -Backend (script text) makes, with the extra Send-CompositeMail parameters that -Parameters (script text of a
    hashtable) gives; or, with -Send (script text using $backend, $parameters and $file), as that says; returns the process's peak working set after each (Small, Large, in bytes). The first send
    loads and warms up everything the path needs, so Large - Small is what the attachment itself adds, free of the
    tens of MB a fresh process's peak varies by from one start to the next. Both sends must succeed.
    #>
    param(
        [Parameter(Mandatory)] [string] $Backend,
        [Parameter(Mandatory)] [string] $SmallAttachment,
        [Parameter(Mandatory)] [string] $Attachment,
        [string] $Parameters = '@{}',
        [string] $Send = 'Send-CompositeMail -Backend $backend -From ops@example.com -To jane@example.com -Subject large -Body b -Attachments $file @parameters',
        [string] $ModulePath = $script:ModulePath,
        [string] $Folder = ([IO.Path]::GetTempPath())
    )
    $script = Join-Path $Folder "peak-$([guid]::NewGuid().ToString('N').Substring(0, 8)).ps1"
    Set-Content $script @"
Import-Module '$ModulePath'
`$backend = $Backend
`$parameters = $Parameters
foreach (`$file in '$SmallAttachment', '$Attachment') {
    `$sent = & { $Send }
    if (-not `$sent.Succeeded) { throw "not sent: `$(`$sent.Results | ForEach-Object Error)" }
    "peak=`$([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64)"
}
"@
    try {
        $run = Invoke-TestPwsh -File $script
        $peaks = @([regex]::Matches($run.Output, 'peak=(\d+)') | ForEach-Object { [long]$_.Groups[1].Value })
        if ($run.ExitCode -ne 0 -or $peaks.Count -ne 2) { throw "The measured send failed: $($run.Output)" }
        [pscustomobject]@{ Small = $peaks[0]; Large = $peaks[1] }
    }
    finally { Remove-Item $script -ErrorAction Ignore }
}
