using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Shows each message on a PowerShell stream, for debugging and dry runs. On the Verbose or Debug stream the
    /// copy appears only when the caller asks for that stream, so one script shows it while debugging and stays
    /// quiet in production.
    /// </summary>
    public sealed class ConsoleBackend : MailBackend
    {
        public ConsoleBackend(string? name, ConsoleFormat format, ConsoleStream stream = ConsoleStream.Information)
            : base(name, MailBackendKind.Console)
        {
            Format = format;
            Stream = stream;
        }

        public ConsoleFormat Format { get; }

        public ConsoleStream Stream { get; }

        public override string Description => $"{Stream} stream ({Format})";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<ConsoleBackend>
        {
            private readonly StreamKind _stream;

            public Session(ConsoleBackend backend, DeliveryContext context)
                : base(backend, context)
            {
                _stream = backend.Stream switch
                {
                    ConsoleStream.Verbose => StreamKind.Verbose,
                    ConsoleStream.Debug => StreamKind.Debug,
                    _ => StreamKind.Information,
                };
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                // A copy nobody will see is not even formatted: an unused debugging copy costs nothing in production.
                if (!Context.Shows(_stream))
                {
                    return null;
                }

                Context.Write(_stream, message.Format(Backend.Format));
                return null;
            }
        }
    }
}
