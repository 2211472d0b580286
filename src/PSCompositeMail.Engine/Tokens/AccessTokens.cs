using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>Gives access tokens for one resource, cached and renewed before they expire.</summary>
    internal interface IAccessTokenSource
    {
        /// <param name="fresh">True after the service refused the last token as unauthenticated: skip the cache.</param>
        /// <param name="timeout">The backend's -TimeoutSec: the most one token request may take, retries of the library included.</param>
        /// <param name="unanswered">The pipeline's memory of endpoints that did not answer (<see cref="UnansweredTokenRequests.Of"/>); null: always
        /// ask.</param>
        string GetToken(bool fresh, TimeSpan timeout, CancellationToken cancellationToken, UnansweredTokenRequests? unanswered = null);

        /// <summary>The last usable token issued, kept or not, to read its permissions without asking again; null before the first.</summary>
        string? LastIssued { get; }
    }

    /// <summary>
    /// One token source per backend settings, resource and identity endpoint for the life of the process, so every
    /// pipeline that uses the same backend object shares its cached tokens; the source goes when the backend object does.
    /// </summary>
    internal static class AccessTokens
    {
        // The variables through which Azure hosts offer their managed identity endpoint (App Service, Automation,
        // Functions, Arc, Service Fabric, Cloud Shell, IMDS): a token from one endpoint is never served for another.
        private static readonly string[] ManagedIdentityEnvironment =
            { "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IDENTITY_API_VERSION", "IMDS_ENDPOINT", "MSI_ENDPOINT",
                "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST" };

        private static readonly ConditionalWeakTable<TokenSettings, ConcurrentDictionary<string, IAccessTokenSource>> Sources =
            new ConditionalWeakTable<TokenSettings, ConcurrentDictionary<string, IAccessTokenSource>>();

        /// <param name="resource">The API the token is for, such as https://graph.microsoft.com (Google tokens are always for Gmail).</param>
        public static IAccessTokenSource For(TokenSettings settings, string resource) =>
            Sources.GetValue(settings, _ => new ConcurrentDictionary<string, IAccessTokenSource>())
                .GetOrAdd(CacheKey(settings, resource), _ => new AccessTokenCache(settings, Create(settings, resource)));

        /// <summary>
        /// The settings object already stands for the app, tenant, authority, certificate or key file; what it does not
        /// hold is the managed identity endpoint, which comes from the environment and may change under a running process.
        /// </summary>
        private static string CacheKey(TokenSettings settings, string resource)
        {
            if (settings.Source != TokenProvider.ManagedIdentity)
            {
                return resource;
            }

            var environment = string.Join("\n", ManagedIdentityEnvironment.Select(name => name + "=" + Environment.GetEnvironmentVariable(name)));
            using var sha = SHA256.Create();
            return resource + "|" + Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(environment)));
        }

        private static ITokenIssuer Create(TokenSettings settings, string resource) => settings.Source switch
        {
            TokenProvider.GoogleServiceAccount => new GoogleServiceAccountTokenSource(settings),
            TokenProvider.ManagedIdentity => new ManagedIdentityTokenSource(settings, resource),
            _ => new EntraAppTokenSource(settings, resource),
        };
    }
}
