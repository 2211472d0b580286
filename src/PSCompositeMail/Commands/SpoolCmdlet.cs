using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>What Get-MailSpool and Test-MailSpool share: the spool folders they read, each of which must exist.</summary>
    public abstract class SpoolCmdlet : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("SpoolDirectory", "FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = System.Array.Empty<string>();

        /// <summary>The spools -Path names; a folder that does not exist is a SpoolNotFound error, and the others go on.</summary>
        private protected IEnumerable<MailSpool> Spools()
        {
            foreach (var path in Path)
            {
                var folder = GetUnresolvedProviderPathFromPSPath(path);
                if (!System.IO.Directory.Exists(folder))
                {
                    WriteError(StreamWriting.Escaped(new ErrorRecord(
                        new System.IO.DirectoryNotFoundException($"The spool folder '{folder}' does not exist."),
                        "SpoolNotFound",
                        ErrorCategory.ObjectNotFound,
                        path)));
                    continue;
                }

                yield return new MailSpool(folder);
            }
        }
    }
}
