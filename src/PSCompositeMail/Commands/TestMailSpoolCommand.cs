using System;
using System.Management.Automation;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>Says whether a spool is healthy: nothing waiting longer than -MaxAge, nothing in the poison folder. Changes nothing.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailSpool")]
    [OutputType(typeof(SpoolHealth))]
    public sealed class TestMailSpoolCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("SpoolDirectory", "FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>How long a message may wait; Postfix's delay_warning_time default.</summary>
        [Parameter(Position = 1)]
        public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(4);

        protected override void ProcessRecord()
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

                var health = SpoolHealth.Check(new MailSpool(folder), MaxAge);
                foreach (var warning in health.Warnings)
                {
                    WriteWarning(StreamWriting.Escaped(warning));
                }

                WriteObject(health);
            }
        }
    }
}
