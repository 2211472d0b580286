using System;
using System.Management.Automation;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>Says whether a spool is healthy: nothing waiting longer than -MaxAge, nothing in the poison folder. Changes nothing.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailSpool")]
    [OutputType(typeof(SpoolHealth))]
    public sealed class TestMailSpoolCommand : SpoolCmdlet
    {
        /// <summary>How long a message may wait; Postfix's delay_warning_time default.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNegativeTimeSpan]
        public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(4);

        protected override void ProcessRecord()
        {
            foreach (var spool in Spools())
            {
                var health = SpoolHealth.Check(spool, MaxAge);
                foreach (var warning in health.Warnings)
                {
                    WriteWarning(StreamWriting.Escaped(warning));
                }

                WriteObject(health);
            }
        }
    }
}
