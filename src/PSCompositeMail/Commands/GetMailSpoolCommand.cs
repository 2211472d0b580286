using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>Lists the messages a spool folder holds, oldest first.</summary>
    [Cmdlet(VerbsCommon.Get, "MailSpool")]
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
                foreach (var orphan in spool.SetAsideOrphanMetadata(Poison))
                {
                    WriteError(StreamWriting.Escaped(new ErrorRecord(orphan, "DamagedSpoolItem", ErrorCategory.InvalidData, orphan.Item)));
                }

                WriteObject(spool.List(Poison).Where(item => OlderThan is not { } age || item.Age > age), enumerateCollection: true);
            }
        }
    }
}
