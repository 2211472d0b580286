using System;
using System.Threading;
using Google.Apis.Auth.OAuth2;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// Gmail tokens for a Google Workspace user, from a service account with domain-wide delegation, through
    /// Google.Apis.Auth: it signs the JWT-bearer grant with the key, asks the key file's own token_uri, caches and renews.
    /// </summary>
    internal sealed class GoogleServiceAccountTokenSource : IAccessTokenSource
    {
        public const string GmailScope = "https://mail.google.com/";

        private readonly TokenSettings _settings;
        private readonly Lazy<ServiceAccountCredential> _credential;
        private readonly TokenEndpointStatus _endpointStatus = new TokenEndpointStatus();

        public GoogleServiceAccountTokenSource(TokenSettings settings)
        {
            _settings = settings;
            _credential = new Lazy<ServiceAccountCredential>(Build, LazyThreadSafetyMode.PublicationOnly);
        }

        public string GetToken(bool fresh, CancellationToken cancellationToken) => TokenErrors.Explained(_settings, () => _endpointStatus.LastRefusal, () =>
        {
            var credential = _credential.Value;
            if (fresh)
            {
                credential.RequestAccessTokenAsync(cancellationToken).GetAwaiter().GetResult();
            }

            return credential.GetAccessTokenForRequestAsync(null, cancellationToken).GetAwaiter().GetResult();
        });

        private ServiceAccountCredential Build()
        {
            var google = CredentialFactory.FromFile<ServiceAccountCredential>(_settings.GoogleServiceAccountKey!)
                .ToGoogleCredential()
                .CreateScoped(GmailScope)
                .CreateWithUser(_settings.UserName)
                .CreateWithHttpClientFactory(_endpointStatus);
            var credential = (ServiceAccountCredential)google.UnderlyingCredential;

            // The signed assertion goes to the key file's own token_uri: refuse it before any request unless it is https.
            if (!Uri.TryCreate(credential.TokenServerUrl, UriKind.Absolute, out var tokenUri) || !HttpsEndpoint.IsHttps(tokenUri))
            {
                throw new TokenRequestException(HttpsEndpoint.Refusal(credential.TokenServerUrl, $"-GoogleServiceAccountKey {_settings.GoogleServiceAccountKey}: its token_uri"));
            }

            return credential;
        }
    }
}
