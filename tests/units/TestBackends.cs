using System;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Tests
{
    /// <summary>A backend whose every delivery throws: what a broken backend looks like to a composite.</summary>
    internal sealed class ThrowingBackend : MailBackend
    {
        public ThrowingBackend(string name)
            : base(name, MailBackendKind.Null)
        {
        }

        public override string Description => "always throws";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<ThrowingBackend>
        {
            public Session(ThrowingBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message) => throw new InvalidOperationException($"{Backend.Name} is down");
        }
    }

    /// <summary>
    /// A backend whose session itself throws from Deliver, breaking the session contract (a failure is a result, not an
    /// exception): only the composite's own guard stands between it and the other members.
    /// </summary>
    internal sealed class ContractBreakingBackend : MailBackend
    {
        public ContractBreakingBackend(string name)
            : base(name, MailBackendKind.Null)
        {
        }

        public override string Description => "its session throws";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(Name);

        private sealed class Session : IDeliverySession
        {
            private readonly string _name;

            public Session(string name) => _name = name;

            public BackendResult Deliver(IOutgoingMessage message) => throw new InvalidOperationException($"{_name} broke its contract");

            public void Dispose()
            {
            }
        }
    }

    /// <summary>A backend that delivers by running <c>deliver</c> (on whichever thread delivers), for what the others cannot show.</summary>
    internal sealed class DelegateBackend : MailBackend
    {
        private readonly Func<DeliveryContext, IOutgoingMessage, string?> _deliver;

        public DelegateBackend(string name, Func<DeliveryContext, IOutgoingMessage, string?> deliver)
            : base(name, MailBackendKind.Null)
        {
            _deliver = deliver;
        }

        public override string Description => "runs a test delegate";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<DelegateBackend>
        {
            public Session(DelegateBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message) => Backend._deliver(Context, message);
        }
    }

    /// <summary>A backend that counts how often its description is built: a delivery needs it once, not per message.</summary>
    internal sealed class CountedDescriptionBackend : MailBackend
    {
        private int _descriptionReads;

        public CountedDescriptionBackend(string name)
            : base(name, MailBackendKind.Null)
        {
        }

        public int DescriptionReads => _descriptionReads;

        public override string Description => $"described {System.Threading.Interlocked.Increment(ref _descriptionReads)} time(s)";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private sealed class Session : StatelessSession<CountedDescriptionBackend>
        {
            public Session(CountedDescriptionBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message) => null;
        }
    }

    internal static class Messages
    {
        public static OutgoingMessage Simple(string subject = "hello") => MessageBuilder.Build(new MessageSpec
        {
            From = "ops@example.com",
            To = new[] { "jane@example.com" },
            Subject = subject,
            Body = "body",
        });
    }
}
