using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Hosting;
using PSCompositeMail.Results;

namespace PSCompositeMail.Commands
{
    /// <summary>Checks that a backend could deliver; sends nothing unless -SendTestMessage asks for one short message.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BackendTestResult))]
    public sealed class TestMailBackendCommand : CancellableCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MailBackend[] Backend { get; set; } = System.Array.Empty<MailBackend>();

        /// <summary>Also send one short message through each backend (every member of a composite): the only proof that it may send as that
        /// mailbox.</summary>
        [Parameter]
        public SwitchParameter SendTestMessage { get; set; }

        /// <summary>Where the test message goes; default: the sender itself.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? To { get; set; }

        /// <summary>Who the test message is from; default: the backend's mailbox (Graph's -Mailbox, the SMTP user name).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        protected override void BeginProcessing()
        {
            if (!SendTestMessage && (To is not null || From is not null))
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(
                    new PSArgumentException("-To and -From go with -SendTestMessage: without it, Test-MailBackend sends nothing."),
                    "TestMessageAddressWithoutSend", ErrorCategory.InvalidArgument, null)));
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var backend in Backend)
            {
                var request = new TestMessageRequest(From, To);
                var send = SendTestMessage && ShouldProcess(backend.Name, request.Describe(backend));
                using var context = new DeliveryContext(CancellationToken, MailEngine.Instance)
                {
                    VerboseEnabled = VerboseRequested,
                    DebugEnabled = DebugRequested,
                };
                var result = backend.Check(context, send ? request : null);
                StreamWriting.Drain(this, context);
                WriteObject(result);
            }
        }
    }
}
