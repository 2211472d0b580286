using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>Accepts every message and discards it.</summary>
    public sealed class NullBackend : MailBackend
    {
        public NullBackend(string? name)
            : base(name, MailBackendKind.Null)
        {
        }

        public override string Description => "discards every message";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<NullBackend>
        {
            public Session(NullBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message) => null;
        }
    }
}
