using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Results
{
    /// <summary>One message's outcome across every backend it was given to.</summary>
    public sealed class SendResult
    {
        internal SendResult(string messageId, string subject, IReadOnlyList<string> to, DeliveryPolicy policy, bool succeeded,
            IReadOnlyList<BackendResult> results, string reason = "")
        {
            Reason = reason;
            MessageId = messageId;
            Subject = subject;
            To = to;
            Policy = policy;
            Succeeded = succeeded;
            Results = results;
        }

        public string MessageId { get; }

        public string Subject { get; }

        public IReadOnlyList<string> To { get; }

        public DeliveryPolicy Policy { get; }

        public bool Succeeded { get; }

        /// <summary>
        /// Empty when the message was delivered; otherwise one line naming each backend that failed (every member of
        /// a composite, nested ones included) with its error: the words of the message's non-terminating error.
        /// </summary>
        public string Reason { get; }

        /// <summary>One result per backend, in the order the backends were given.</summary>
        public IReadOnlyList<BackendResult> Results { get; }

        /// <summary>The names of the backends that delivered the message, looking inside composites.</summary>
        public IEnumerable<string> DeliveredBy => Results.SelectMany(Leaves).Where(r => r.Status == DeliveryStatus.Sent).Select(r => r.Backend);

        /// <summary>Where a message that was not delivered is kept for a later resend, or null.</summary>
        public string? SpoolPath { get; internal set; }

        private static IEnumerable<BackendResult> Leaves(BackendResult result) =>
            result.Results.Count == 0 ? new[] { result } : result.Results.SelectMany(Leaves);

        public override string ToString() => Messages.ControlCharacters.Escape($"{(Succeeded ? "Sent" : "Failed")}: {Subject} <{MessageId}>");
    }
}
