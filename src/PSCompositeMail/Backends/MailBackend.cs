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

        /// <summary>
        /// The message log of the profile environment this backend came from (its LogPath key), or null:
        /// Send-CompositeMail writes to it when no -LogPath is given.
        /// </summary>
        public string? LogPath { get; internal set; }

        /// <summary>Where this backend sends to, in a few words.</summary>
        public abstract string Description { get; }

        /// <summary>Whether <see cref="Description"/> stays the same for the backend's life (a Memory backend's counts its messages).</summary>
        internal virtual bool DescriptionIsFixed => true;

        /// <summary><see cref="Description"/> as <paramref name="context"/>'s pipeline names its results: made once, unless it changes.</summary>
        internal string DescriptionIn(DeliveryContext context) =>
            DescriptionIsFixed ? context.DescriptionOf(this, backend => ((MailBackend)backend).Description) : Description;

        internal abstract IDeliverySession OpenSession(DeliveryContext context);

        /// <summary>Checks that the backend could deliver, without sending anything.</summary>
        internal virtual BackendTestResult Test(DeliveryContext context) =>
            new BackendTestResult(Name, Kind, succeeded: true, TimeSpan.Zero, "Nothing to check: this backend needs no connection.");

        /// <summary>The mailbox a test message is sent from, and to, when -From and -To are not given; null when the backend has none.</summary>
        internal virtual string? TestMailbox => null;

        /// <summary>What Test-MailBackend reports: the check, and with -SendTestMessage the test message sent through this backend once the check
        /// passed.</summary>
        internal virtual BackendTestResult Check(DeliveryContext context, TestMessageRequest? testMessage)
        {
            var result = Test(context);
            return testMessage is not null && result.Succeeded ? testMessage.Send(this, result, context) : result;
        }

        public override string ToString() => $"{Name} ({Kind}: {Description})";
    }
}
