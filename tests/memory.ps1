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
    Sends one message with -Attachment through the backend that -Backend (script text) makes, with the extra
    Send-CompositeMail parameters that -Parameters (script text of a hashtable) gives, in a fresh PowerShell; returns
    its peak working set in bytes. The send must succeed.
    #>
    param(
        [Parameter(Mandatory)] [string] $Backend,
        [Parameter(Mandatory)] [string] $Attachment,
        [string] $Parameters = '@{}',
        [string] $ModulePath = $script:ModulePath,
        [string] $Folder = ([IO.Path]::GetTempPath())
    )
    $script = Join-Path $Folder "peak-$([guid]::NewGuid().ToString('N').Substring(0, 8)).ps1"
    Set-Content $script @"
Import-Module '$ModulePath'
`$backend = $Backend
`$parameters = $Parameters
`$sent = Send-CompositeMail -Backend `$backend -From ops@example.com -To jane@example.com -Subject large -Body b -Attachments '$Attachment' @parameters
if (-not `$sent.Succeeded) { throw "not sent: `$(`$sent.Results | ForEach-Object Error)" }
"peak=`$([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64)"
"@
    try {
        $run = Invoke-TestPwsh -File $script
        if ($run.ExitCode -ne 0 -or $run.Output -notmatch 'peak=(\d+)') { throw "The measured send failed: $($run.Output)" }
        [long]$Matches[1]
    }
    finally { Remove-Item $script -ErrorAction Ignore }
}
