using System;
using System.Net.Http;
using System.Threading;
using PSCompositeMail.Engine.Http;
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
        private static readonly HttpClient MsalClient = new HttpClient(
            new TokenEndpointAnswers.Recorder(RedirectRefusal.Over(new HttpClientHandler(), Refusal)))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

        /// <summary>For MSAL's confidential client and managed identity applications.</summary>
        public static IMsalHttpClientFactory Msal { get; } = new MsalFactory();

        /// <summary>What a token request answered with a redirect fails with.</summary>
        public static Exception Refusal(string redirected) => new TokenRequestException(
            $"The token endpoint {redirected}. " +
            "Token requests never follow a redirect, so nothing (no secret, assertion or identity header) was sent there and no token from there " +
            "is used. " +
            "Point the setting at the token endpoint itself.");

        private sealed class MsalFactory : IMsalHttpClientFactory
        {
            public HttpClient GetHttpClient() => MsalClient;
        }
    }
}
