using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Graph
{
    /// <summary>
    /// Sends through Microsoft Graph (sendMail with the message as MIME; big messages as a draft plus upload sessions)
    /// with app-only tokens. The object holds settings only; tokens are fetched when the first message needs one.
    /// </summary>
    public sealed class GraphBackend : MailBackend
    {
        internal GraphBackend(string? name, GraphSettings settings)
            : base(name, MailBackendKind.Graph)
        {
            Settings = settings;
        }

        /// <summary>The mailbox it sends as; empty means each message's From address.</summary>
        public string Mailbox => Settings.Mailbox ?? string.Empty;

        public bool SaveToSentItems => Settings.SaveToSentItems;

        /// <summary>The endpoint as shown (no user info or query, which can hold secrets); the backend sends to the one given.</summary>
        public string GraphEndpoint => HttpsEndpoint.Shown(Settings.Endpoint);

        public string Authentication => Settings.Tokens.Describe();

        public override string Description =>
            $"{GraphEndpoint} as {(Settings.Mailbox ?? "the From address")} ({Settings.Tokens.Describe()})";

        internal GraphSettings Settings { get; }

        internal override string? TestMailbox => Settings.Mailbox;

        internal override IDeliverySession OpenSession(DeliveryContext context) =>
            context.Engine<IGraphEngine>().OpenGraphSession(Name, Settings, context);

        internal override BackendTestResult Test(DeliveryContext context) => context.Engine<IGraphEngine>().TestGraph(Name, Settings, context);
    }
}
