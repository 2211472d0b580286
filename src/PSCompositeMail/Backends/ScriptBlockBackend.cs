using System.Management.Automation;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Hands each message (as a <see cref="CapturedMessage"/>) to a script block; a throw is a failure.
    /// Sessions run on the pipeline thread, which is what lets the script block use the caller's runspace.
    /// </summary>
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

        private sealed class Session : StatelessSession
        {
            public Session(ScriptBlockBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(OutgoingMessage message)
            {
                ((ScriptBlockBackend)Backend).ScriptBlock.Invoke(CapturedMessage.Capture(message));
                return null;
            }
        }
    }
}
