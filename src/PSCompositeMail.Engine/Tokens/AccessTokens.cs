using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>Gives access tokens for one resource; cached by the library behind it and renewed before they expire.</summary>
    internal interface IAccessTokenSource
    {
        /// <param name="fresh">True after the service refused the last token as unauthenticated: skip the cache.</param>
        string GetToken(bool fresh, CancellationToken cancellationToken);
    }

    /// <summary>
    /// One token source per backend settings and resource for the life of the process, so every pipeline that uses the
    /// same backend object shares its cached tokens; the source goes when the backend object does.
    /// </summary>
    internal static class AccessTokens
    {
        private static readonly ConditionalWeakTable<TokenSettings, ConcurrentDictionary<string, IAccessTokenSource>> Sources =
            new ConditionalWeakTable<TokenSettings, ConcurrentDictionary<string, IAccessTokenSource>>();

        /// <param name="resource">The API the token is for, such as https://graph.microsoft.com (Google tokens are always for Gmail).</param>
        public static IAccessTokenSource For(TokenSettings settings, string resource) =>
            Sources.GetValue(settings, _ => new ConcurrentDictionary<string, IAccessTokenSource>())
                .GetOrAdd(resource, r => Create(settings, r));

        private static IAccessTokenSource Create(TokenSettings settings, string resource) => settings.Source switch
        {
            TokenProvider.GoogleServiceAccount => new GoogleServiceAccountTokenSource(settings),
            TokenProvider.ManagedIdentity => new ManagedIdentityTokenSource(settings, resource),
            _ => new EntraAppTokenSource(settings, resource),
        };
    }
}
