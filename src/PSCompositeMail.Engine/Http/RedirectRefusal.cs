using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Http
{
    /// <summary>
    /// Fails a request that was answered with a redirect, naming where it pointed (its host only). Token requests carry
    /// a secret, an assertion or an identity header, Graph requests a bearer token and the message itself: a redirect
    /// would carry them (.NET keeps custom headers and, on 307/308, the body) to whatever host the answer names.
    /// </summary>
    internal sealed class RedirectRefusal : DelegatingHandler
    {
        private readonly Func<string, Exception> _refusal;

        /// <param name="inner">A handler that does not follow redirects itself.</param>
        /// <param name="refusal">The error for "{url} answered {status} with a redirect to {where}".</param>
        public RedirectRefusal(HttpMessageHandler inner, Func<string, Exception> refusal)
            : base(inner)
        {
            _refusal = refusal;
        }

        /// <summary>Our HTTP stack over a new handler: no redirect is ever followed.</summary>
        public static HttpMessageHandler Over(HttpClientHandler inner, Func<string, Exception> refusal)
        {
            inner.AllowAutoRedirect = false;
            return new RedirectRefusal(inner, refusal);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is < 300 or >= 400)
            {
                return response;
            }

            var location = response.Headers.Location;
            var target = location is null ? "an address it did not give"
                : location.IsAbsoluteUri ? HttpsEndpoint.Shown(location, withPath: false)
                : "another path on the same host";
            response.Dispose();
            throw _refusal($"{(request.RequestUri is { } url ? HttpsEndpoint.Shown(url) : null)} answered {status} with a redirect to {target}");
        }
    }
}
