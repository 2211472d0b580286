namespace PSCompositeMail.Messages
{
    /// <summary>Which PowerShell stream the console backend writes each message to.</summary>
    public enum ConsoleStream
    {
        /// <summary>Always shown (tagged PSCompositeMail), like Write-Host; capturable with 6>&amp;1.</summary>
        Information,

        /// <summary>Shown only when the caller asks: -Verbose or $VerbosePreference. The copy for debugging a script.</summary>
        Verbose,

        /// <summary>Shown only when the caller asks: -Debug or $DebugPreference.</summary>
        Debug,
    }
}
