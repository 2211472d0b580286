using System;
using System.Collections.Generic;

namespace PSCompositeMail.Results
{
    /// <summary>The outcome of handing one message to one backend.</summary>
    public sealed class BackendResult
    {
        private static readonly IReadOnlyList<BackendResult> NoResults = Array.Empty<BackendResult>();
        private static readonly IReadOnlyList<string> NoRecipients = Array.Empty<string>();

        internal BackendResult(
            string backend,
            string kind,
            DeliveryStatus status,
            TimeSpan duration,
            Exception? exception = null,
            IReadOnlyList<BackendResult>? results = null,
            IReadOnlyList<string>? rejectedRecipients = null,
            string? detail = null)
        {
            Backend = backend;
            Kind = kind;
            Status = status;
            Duration = duration;
            Exception = exception;
            Results = results ?? NoResults;
            RejectedRecipients = rejectedRecipients ?? NoRecipients;
            Detail = detail;
        }

        /// <summary>The backend's name.</summary>
        public string Backend { get; }

        public string Kind { get; }

        public DeliveryStatus Status { get; }

        /// <summary>Why the backend failed, or null.</summary>
        public string? Error => Exception?.Message;

        public TimeSpan Duration { get; }

        /// <summary>For a composite: the result of each backend inside it.</summary>
        public IReadOnlyList<BackendResult> Results { get; }

        /// <summary>SMTP: recipients the server refused while it accepted the others.</summary>
        public IReadOnlyList<string> RejectedRecipients { get; }

        /// <summary>What the backend reports back: the file it wrote, the server's reply.</summary>
        public string? Detail { get; }

        public Exception? Exception { get; }

        public bool Succeeded => Status == DeliveryStatus.Sent;

        public override string ToString() =>
            Error is null ? $"{Backend}: {Status}" : $"{Backend}: {Status} ({Error})";
    }
}
