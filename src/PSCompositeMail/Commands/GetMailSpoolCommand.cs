using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Lists the messages a spool folder holds, oldest first. Listing repairs the spool as a side effect: a .meta whose
    /// .eml is gone is moved to the damaged folder, under ShouldProcess (-WhatIf lists without moving it, -Confirm asks
    /// for each). Claims of resends whose process died are given back without asking: that only undoes an interrupted
    /// rename, and without it those items would not be listed.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MailSpool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(MailSpoolItem))]
    public sealed class GetMailSpoolCommand : SpoolCmdlet
    {
        /// <summary>List the items moved to the poison folder after too many attempts instead.</summary>
        [Parameter]
        public SwitchParameter Poison { get; set; }

        /// <summary>Only the items that have waited longer than this since they were first spooled.</summary>
        [Parameter]
        [ValidateNotNegativeTimeSpan]
        public System.TimeSpan? OlderThan { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var spool in Spools())
            {
                foreach (var orphan in spool.SetAsideOrphanMetadata(Poison, MayMoveToDamaged))
                {
                    WriteError(StreamWriting.Escaped(new ErrorRecord(orphan, "DamagedSpoolItem", ErrorCategory.InvalidData, orphan.Item)));
                }

                WriteObject(spool.List(Poison).Where(item => OlderThan is not { } age || item.Age > age), enumerateCollection: true);
            }
        }

        /// <remarks>PowerShell writes the text itself, past StreamWriting: it is escaped here, since a file name may hold anything.</remarks>
        private bool MayMoveToDamaged(string metadata) =>
            ShouldProcess(StreamWriting.Escaped(metadata), StreamWriting.Escaped("Move to the damaged folder (metadata without its .eml)"));
    }
}
