using PSCompositeMail.Results;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>How one Send-CompositeMail invocation sends: what its parameters decided.</summary>
    internal sealed class SendSettings
    {
        public DeliveryPolicy Policy { get; set; } = DeliveryPolicy.All;

        /// <summary>How many messages are delivered at once.</summary>
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Where undelivered messages are kept, or null.</summary>
        public MailSpool? Spool { get; set; }

        /// <summary>Resending: after this many failed attempts an item moves to the poison folder.</summary>
        public int MaxAttempts { get; set; } = 5;

        /// <summary>Resending: also through the backends that took the message on an earlier attempt.</summary>
        public bool IncludeDeliveredBackends { get; set; }

        /// <summary>Message logs: -LogPath, or the LogPath of the profile the backends came from.</summary>
        public System.Collections.Generic.IReadOnlyList<MessageLog> Logs { get; set; } = System.Array.Empty<MessageLog>();
    }
}
