using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Backends
{
    /// <summary>Shows each message on the Information stream, for debugging and dry runs.</summary>
    public sealed class ConsoleBackend : MailBackend
    {
        public ConsoleBackend(string? name, ConsoleFormat format)
            : base(name, MailBackendKind.Console)
        {
            Format = format;
        }

        public ConsoleFormat Format { get; }

        public override string Description => $"Information stream ({Format})";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<ConsoleBackend>
        {
            public Session(ConsoleBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                Context.Information(message.Format(Backend.Format));
                return null;
            }
        }
    }
}
