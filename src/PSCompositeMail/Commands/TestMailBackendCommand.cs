using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;

namespace PSCompositeMail.Commands
{
    /// <summary>Checks that a backend could deliver, without sending anything.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailBackend")]
    [OutputType(typeof(BackendTestResult))]
    public sealed class TestMailBackendCommand : CancellableCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MailBackend[] Backend { get; set; } = System.Array.Empty<MailBackend>();

        protected override void ProcessRecord()
        {
            using var context = new DeliveryContext(CancellationToken) { VerboseEnabled = VerboseRequested, DebugEnabled = DebugRequested };
            foreach (var backend in Backend)
            {
                var result = backend.Test(context);
                StreamWriting.Drain(this, context);
                WriteObject(result);
            }
        }
    }
}
