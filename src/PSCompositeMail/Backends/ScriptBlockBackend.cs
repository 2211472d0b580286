using System.Management.Automation;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Backends
{
    /// <summary>Hands each message (as a <see cref="CapturedMessage"/>) to a script block; a throw is a failure.</summary>
    public sealed class ScriptBlockBackend : MailBackend
    {
        public ScriptBlockBackend(string? name, ScriptBlock scriptBlock)
            : base(name, MailBackendKind.ScriptBlock)
        {
            ScriptBlock = scriptBlock;
        }

        public ScriptBlock ScriptBlock { get; }

        public override string Description => "{ " + Shorten(ScriptBlock.ToString().Trim()) + " }";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";

        /// <summary>
        /// Sessions may run on a delivery worker (-ThrottleLimit), but the script block belongs to the caller's
        /// runspace: it is always invoked on the pipeline thread, through the context.
        /// </summary>
        private sealed class Session : StatelessSession<ScriptBlockBackend>
        {
            public Session(ScriptBlockBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                var copy = message.Capture();
                Context.OnPipelineThread(() => Backend.ScriptBlock.Invoke(copy));
                return null;
            }
        }
    }
}
