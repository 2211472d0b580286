using System;
using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Results
{
    /// <summary>The outcome of handing one message to one backend.</summary>
    public sealed class BackendResult
    {
        private static readonly IReadOnlyList<BackendResult> NoResults = Array.Empty<BackendResult>();
        private static readonly IReadOnlyList<string> NoRecipients = Array.Empty<string>();

        internal BackendResult(
            string backend,
            MailBackendKind kind,
            DeliveryStatus status,
            TimeSpan duration,
            Exception? exception = null,
            IReadOnlyList<BackendResult>? results = null,
            IReadOnlyList<string>? rejectedRecipients = null,
            string? detail = null,
            IReadOnlyList<string>? pendingRecipients = null)
        {
            Backend = backend;
            Kind = kind;
            Status = status;
            Duration = duration;
            Exception = exception;
            Results = results ?? NoResults;
            RejectedRecipients = rejectedRecipients ?? NoRecipients;
            PendingRecipients = pendingRecipients ?? NoRecipients;
            Detail = detail;
        }

        /// <summary>The backend's name.</summary>
        public string Backend { get; }

        public MailBackendKind Kind { get; }

        public DeliveryStatus Status { get; }

        /// <summary>Why the backend failed, or null.</summary>
        public string? Error => Exception?.Message;

        public TimeSpan Duration { get; }

        /// <summary>For a composite: the result of each backend inside it.</summary>
        public IReadOnlyList<BackendResult> Results { get; }

        /// <summary>
        /// SMTP: recipients the server refused for good (5xx) while it accepted the others; never retried. For a
        /// composite: every recipient one of its members (nested ones included) refused so.
        /// </summary>
        public IReadOnlyList<string> RejectedRecipients { get; }

        /// <summary>
        /// For a failed result, the recipients still owed the message, which is who a spool keeps it for: every one
        /// not refused for good after a plain failure, only those refused for now (4xx, past the retries) after a
        /// partial delivery, whose other recipients already have it. Empty when the backend did not fail, or failed
        /// without telling (then every recipient is owed).
        /// </summary>
        public IReadOnlyList<string> PendingRecipients { get; }

        /// <summary>What the backend reports back: the file it wrote, the server's reply.</summary>
        public string? Detail { get; }

        /// <summary>
        /// Where the backend sends to, as its Description said when it was handed the message: the server, port and
        /// security of an SMTP backend (the name alone, 'smtp', does not say whether it was the Send-MailMessage
        /// form's port 25 or New-MailBackend's 587), a Directory backend's folder. Null for a result no backend made.
        /// </summary>
        public string? Description { get; private set; }

        public Exception? Exception { get; }

        public bool Succeeded => Status == DeliveryStatus.Sent;

        /// <summary>Skipped because this backend took the message on an earlier attempt (a resend from a spool); policies count it as
        /// delivered.</summary>
        public bool DeliveredEarlier { get; private set; }

        internal static BackendResult SkippedAsDeliveredEarlier(string backend, MailBackendKind kind) =>
            new BackendResult(backend, kind, DeliveryStatus.Skipped, TimeSpan.Zero,
                detail: "Delivered on an earlier attempt; not sent again.") { DeliveredEarlier = true };

        /// <summary>This result with every failure in it, nested ones included, marked as kept in the spool.</summary>
        internal BackendResult AsSpooled(string spooledAt) =>
            Status != DeliveryStatus.Failed
                ? this
                : new BackendResult(
                    Backend,
                    Kind,
                    DeliveryStatus.Spooled,
                    Duration,
                    Exception,
                    Results.Select(r => r.AsSpooled(spooledAt)).ToArray(),
                    RejectedRecipients,
                    spooledAt,
                    PendingRecipients)
                {
                    Description = Description,
                    LedgerName = LedgerName,
                };

        /// <summary>This result, saying where the backend that made it sends to (its <paramref name="description"/>).</summary>
        internal BackendResult DescribedBy(string description)
        {
            Description ??= description;
            return this;
        }

        /// <summary>
        /// The name a spool's ledger gives the composite's member that made this result: its name, or its name and
        /// place among namesakes ('smtp#2'). Null for a result no composite's member made.
        /// </summary>
        internal string? LedgerName { get; private set; }

        /// <summary>This result, made by the composite's member that a spool's ledger calls <paramref name="ledgerName"/>.</summary>
        internal BackendResult InLedgerAs(string ledgerName)
        {
            LedgerName ??= ledgerName;
            return this;
        }

        /// <summary>Who still needs the message after this result, given the recipients the backend was handed.</summary>
        internal IEnumerable<string> OwedOf(IReadOnlyList<string> handed) =>
            Status != DeliveryStatus.Failed ? Enumerable.Empty<string>()
            : PendingRecipients.Count > 0 ? PendingRecipients
            : handed;

        /// <summary>The backends that failed, at the deepest level where a failure happened.</summary>
        internal IEnumerable<BackendResult> FailedLeaves() =>
            Status != DeliveryStatus.Failed ? Enumerable.Empty<BackendResult>()
            : Results.Count == 0 ? new[] { this }
            : Results.SelectMany(r => r.FailedLeaves());

        /// <summary>
        /// Why this result failed, in one line: each backend that failed at the deepest level (every member of a
        /// composite, not only the last one a Failover tried) with its error. Empty when it did not fail.
        /// </summary>
        /// <remarks>Escaped as the error is when it is written, since a server's words can hold control characters.</remarks>
        internal string Reason() =>
            Status != DeliveryStatus.Failed ? string.Empty : OneLine(DescribeFailures(Leaves().ToArray(), FailedLeaves()));

        /// <summary>
        /// "backend 'x' failed: why" for each of <paramref name="failures"/>. Backends of <paramref name="among"/> that
        /// share a name (a composite's members left with their default names: two 'smtp') are told apart by their
        /// place among the namesakes and where they send.
        /// </summary>
        internal static string DescribeFailures(IReadOnlyList<BackendResult> among, IEnumerable<BackendResult> failures) =>
            string.Join("; ", failures.Select(failure => DescribeFailure(NameAmong(among, failure), failure.Error)));

        private static string NameAmong(IReadOnlyList<BackendResult> among, BackendResult result)
        {
            var namesakes = among.Where(other => string.Equals(other.Backend, result.Backend, StringComparison.OrdinalIgnoreCase)).ToList();
            return namesakes.Count < 2
                ? $"'{result.Backend}'"
                : $"'{result.Backend}' #{namesakes.IndexOf(result) + 1}" + (result.Description is null ? string.Empty : $" ({result.Description})");
        }

        /// <summary>The backends that did the work: this one, or the members of a composite, nested ones included.</summary>
        private IEnumerable<BackendResult> Leaves() => Results.Count == 0 ? new[] { this } : Results.SelectMany(r => r.Leaves());

        /// <summary>Failed backends in the words of errors, warnings and Reason: "backend 'x' failed: why; backend 'y' failed: why".</summary>
        internal static string DescribeFailures(IEnumerable<(string Backend, string? Error)> failures) =>
            string.Join("; ", failures.Select(f => DescribeFailure($"'{f.Backend}'", f.Error)));

        /// <param name="named">How the backend is named: its name in quotes, and more when that alone is ambiguous.</param>
        internal static string DescribeFailure(string named, string? error) => $"backend {named} failed: {error}";

        /// <summary>A reason as results and logs show it: see <see cref="Messages.ControlCharacters.OneLine"/>.</summary>
        internal static string OneLine(string text) => Messages.ControlCharacters.OneLine(text);

        /// <summary>As nested results show it (a result's Results in a list): one line, escaped, since the error may come from a server.</summary>
        public override string ToString() =>
            Messages.ControlCharacters.OneLine(Error is null ? $"{Backend}: {Status}" : $"{Backend}: {Status} ({Error})");
    }
}
