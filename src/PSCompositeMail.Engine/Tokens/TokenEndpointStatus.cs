using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Google.Apis.Http;
using PSCompositeMail.Engine.Http;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// The HTTP stack of Google token requests: no redirect followed (<see cref="RedirectRefusal"/>), and how the token
    /// endpoint last refused a request remembered. Google.Apis.Auth loses the status when the error has an empty body
    /// (it throws a NullReferenceException building its own error), yet "the endpoint answered 503" is what the user needs to hear.
    /// </summary>
    internal sealed class TokenEndpointStatus : HttpClientFactory
    {
        private string? _lastRefusal;

        /// <summary>Such as "503 Service Unavailable"; null when the last answer was a success or none came.</summary>
        public string? LastRefusal => Volatile.Read(ref _lastRefusal);

        // Below Google's own handler, which would follow a redirect itself: the refusal sees the 3xx first.
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args) =>
            new Recorder(this, new TokenEndpointAnswers.Recorder(new RedirectRefusal(base.CreateHandler(args), TokenEndpointHttp.Refusal)));

        private sealed class Recorder : DelegatingHandler
        {
            private readonly TokenEndpointStatus _owner;

            public Recorder(TokenEndpointStatus owner, HttpMessageHandler inner)
                : base(inner)
            {
                _owner = owner;
            }

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                Volatile.Write(ref _owner._lastRefusal, null);
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    Volatile.Write(ref _owner._lastRefusal, $"{(int)response.StatusCode} {response.ReasonPhrase}".Trim());
                }

                return response;
            }
        }
    }
}
