using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Identity.Client;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// The HTTP stack of every token request. A token request carries a secret, a signed assertion or an identity
    /// header; a redirect would carry it (and .NET keeps custom headers and, on 307/308, the body) to whatever host the
    /// endpoint names, and the token that host returned would be used. So no redirect is ever followed: it fails the request.
    /// </summary>
    internal static class TokenEndpointHttp
    {
        // One for the process, as MSAL advises: it pools connections. Each request is bounded by its cancellation token.
        private static readonly HttpClient MsalClient = new HttpClient(new RedirectRefusal(new HttpClientHandler { AllowAutoRedirect = false }))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

        /// <summary>For MSAL's confidential client and managed identity applications.</summary>
        public static IMsalHttpClientFactory Msal { get; } = new MsalFactory();

        private sealed class MsalFactory : IMsalHttpClientFactory
        {
            public HttpClient GetHttpClient() => MsalClient;
        }
    }

    /// <summary>Fails a token request that was answered with a redirect, naming where it pointed (its host only).</summary>
    internal sealed class RedirectRefusal : DelegatingHandler
    {
        public RedirectRefusal(HttpMessageHandler inner)
            : base(inner)
        {
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
                : location.IsAbsoluteUri ? location.GetLeftPart(UriPartial.Authority)
                : "another path on the same host";
            response.Dispose();
            throw new TokenRequestException(
                $"The token endpoint {request.RequestUri?.GetLeftPart(UriPartial.Path)} answered {status} with a redirect to {target}. " +
                "Token requests never follow a redirect, so nothing (no secret, assertion or identity header) was sent there and no token from there is used. " +
                "Point the setting at the token endpoint itself.");
        }
    }
}
