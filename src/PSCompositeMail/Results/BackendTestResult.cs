using System;
using System.Collections.Generic;

namespace PSCompositeMail.Results
{
    /// <summary>What Test-MailBackend found out about one backend.</summary>
    public sealed class BackendTestResult
    {
        private static readonly IReadOnlyList<string> NoStrings = Array.Empty<string>();

        internal BackendTestResult(string backend, MailBackendKind kind, bool succeeded, TimeSpan latency, string? detail = null,
            Exception? exception = null)
        {
            Backend = backend;
            Kind = kind;
            Succeeded = succeeded;
            Latency = latency;
            Detail = detail;
            Exception = exception;
        }

        public string Backend { get; }

        public MailBackendKind Kind { get; }

        public bool Succeeded { get; }

        public string? Error => Exception?.Message;

        public TimeSpan Latency { get; }

        public string? Detail { get; }

        /// <summary>SMTP: the negotiated TLS protocol and cipher, when encrypted.</summary>
        public string? Tls { get; internal set; }

        /// <summary>SMTP: whether the server accepted the credential (false when none was given); null for other kinds.</summary>
        public bool? Authenticated { get; internal set; }

        /// <summary>SMTP: the extensions the server announced.</summary>
        public IReadOnlyList<string> Capabilities { get; internal set; } = NoStrings;

        /// <summary>
        /// Graph and Microsoft 365 SMTP with app tokens: the application permissions (roles) the access token carries.
        /// Empty for other backends and for Google service-account tokens, which do not list them.
        /// </summary>
        public IReadOnlyList<string> Permissions { get; internal set; } = NoStrings;

        /// <summary>For a composite: one result per backend inside it.</summary>
        public IReadOnlyList<BackendTestResult> Results { get; internal set; } = Array.Empty<BackendTestResult>();

        public Exception? Exception { get; }

        /// <summary>This result after -SendTestMessage: succeeded only when the message went through, its outcome added to Detail.</summary>
        internal BackendTestResult WithTestMessage(bool sent, TimeSpan took, string outcome, Exception? failure) =>
            new BackendTestResult(Backend, Kind, sent, Latency + took, Detail is null ? outcome : $"{Detail}; {outcome}", failure)
            {
                Tls = Tls,
                Authenticated = Authenticated,
                Capabilities = Capabilities,
                Permissions = Permissions,
                Results = Results,
                Label = Label,
            };

        /// <summary>
        /// How a composite names this member where it lists them: its name, and for members that share one, its place
        /// among them and where it sends ("smtp #2 (relay:587 StartTls)").
        /// </summary>
        internal string Label { get; set; } = string.Empty;

        /// <summary>How a composite's list of members reads in a table or a list: "name: ok" or "name: failed: why".</summary>
        /// <remarks>Escaped, since its text may come from a server.</remarks>
        public override string ToString()
        {
            var name = Label.Length > 0 ? Label : Backend;
            return Messages.ControlCharacters.OneLine(Succeeded ? $"{name}: ok" : $"{name}: failed: {Error}");
        }
    }
}
