using System;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Graph
{
    /// <summary>Everything a Graph backend needs to send. Secrets live in <see cref="Tokens"/> and are never formatted.</summary>
    internal sealed class GraphSettings
    {
        public TokenSettings Tokens { get; set; } = new TokenSettings();

        /// <summary>The mailbox to send as; null: each message's From address.</summary>
        public string? Mailbox { get; set; }

        public bool SaveToSentItems { get; set; } = true;

        private Uri _endpoint = MicrosoftCloudEndpoints.Graph(MicrosoftCloud.Global);

        /// <summary>Graph's root, such as https://graph.microsoft.com/ (without the version); always ends in '/' so that request paths go below
        /// it.</summary>
        public Uri Endpoint
        {
            get => _endpoint;
            set => _endpoint = value.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? value : new Uri(value.AbsoluteUri + "/");
        }

        /// <summary>The resource tokens are asked for: the cloud's Graph, whatever <see cref="Endpoint"/> says.</summary>
        public string TokenResource => MicrosoftCloudEndpoints.GraphResource(Tokens.Cloud);

        /// <summary>Limit for one HTTP request (an upload chunk, say), not for a whole message.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How often an unavailable (429, 503, 504) request without Retry-After is tried again; with Retry-After, <see
        /// cref="ThrottleWaitLimit"/> decides.</summary>
        public int RetryCount { get; set; } = 2;

        /// <summary>
        /// The most one request waits in total for Retry-After (and backoff) before it fails: long enough to ride out
        /// Graph's usual throttling, short enough that a long outage fails the message soon and the rest go on.
        /// </summary>
        public TimeSpan ThrottleWaitLimit { get; set; } = TimeSpan.FromMinutes(3);
    }
}
