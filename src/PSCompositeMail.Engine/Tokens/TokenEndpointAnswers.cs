using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// Whether the token endpoint answered at all during one token request, and how it last answered. A request cut
    /// by -TimeoutSec while the library was still trying again after a 500 is an endpoint that answers badly, not
    /// one that hangs: only a request that got no answer at all counts as a hang.
    /// </summary>
    internal sealed class TokenEndpointAnswers : IDisposable
    {
        // The token libraries call our handlers on their own tasks; the token request's async flow carries this there.
        private static readonly AsyncLocal<TokenEndpointAnswers?> Current = new AsyncLocal<TokenEndpointAnswers?>();

        private string? _last;

        private TokenEndpointAnswers()
        {
        }

        /// <summary>Such as "500 Internal Server Error"; null while no answer came.</summary>
        public string? Last => Volatile.Read(ref _last);

        /// <summary>Starts recording for the token request about to be made on this thread; dispose when it ends.</summary>
        public static TokenEndpointAnswers Track() => Current.Value = new TokenEndpointAnswers();

        public void Dispose() => Current.Value = null;

        /// <summary>Notes each answer of the token endpoint for the request in whose flow it came.</summary>
        internal sealed class Recorder : DelegatingHandler
        {
            public Recorder(HttpMessageHandler inner)
                : base(inner)
            {
            }

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (Current.Value is { } answers)
                {
                    Volatile.Write(ref answers._last, $"{(int)response.StatusCode} {response.ReasonPhrase}".Trim());
                }

                return response;
            }
        }
    }
}
