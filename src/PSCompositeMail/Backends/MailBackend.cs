using System;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// A place a message can go. The object only describes the backend and connects to nothing; each
    /// Send-CompositeMail invocation opens its own <see cref="IDeliverySession"/>, so connections live exactly as
    /// long as one pipeline. Each backend delivers through its own session, defined beside it.
    /// </summary>
    public abstract class MailBackend
    {
        private protected MailBackend(string? name, MailBackendKind kind)
        {
            Kind = kind;
            Name = string.IsNullOrWhiteSpace(name) ? kind.ToString().ToLowerInvariant() : name!;
        }

        public string Name { get; }

        public MailBackendKind Kind { get; }

        /// <summary>Where this backend sends to, in a few words.</summary>
        public abstract string Description { get; }

        internal abstract IDeliverySession OpenSession(DeliveryContext context);

        /// <summary>Checks that the backend could deliver, without sending anything.</summary>
        internal virtual BackendTestResult Test(DeliveryContext context) =>
            new BackendTestResult(Name, Kind, succeeded: true, TimeSpan.Zero, "Nothing to check: this backend needs no connection.");

        public override string ToString() => $"{Name} ({Kind}: {Description})";
    }
}
