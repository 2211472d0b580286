using System.Collections.Generic;
using System.Management.Automation;

namespace PSCompositeMail.Sending
{
    /// <summary>What <see cref="MailSender"/> needs from PowerShell: the cmdlet implements it, a unit test fakes it.</summary>
    internal interface ISendHost
    {
        /// <summary>Whether -WhatIf, -Confirm or -Verbose will show what is sent: the texts are only composed then.</summary>
        bool DescribesMessages { get; }

        /// <summary>ShouldProcess: with the texts to show, or with none when <see cref="DescribesMessages"/> is false.</summary>
        bool ShouldProcess(string? description, string? question);

        /// <summary>A PowerShell path (wildcards, PSDrives, relative to the current location) as file-system paths.</summary>
        /// <exception cref="System.Management.Automation.ItemNotFoundException">Nothing is there.</exception>
        /// <exception cref="System.Management.Automation.SessionStateException">No such drive or provider.</exception>
        /// <exception cref="System.Management.Automation.WildcardPatternException">A broken wildcard.</exception>
        /// <exception cref="System.NotSupportedException">The path is not in the file system (Env:PATH).</exception>
        IReadOnlyList<string> ResolveProviderPath(string path);

        /// <summary>The provider's item at a literal file-system path (Get-Item -Force -LiteralPath), or null when there is none.</summary>
        PSObject? GetItem(string path);
    }
}
