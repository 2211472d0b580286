using System;
using System.Threading;
using Google.Apis.Auth.OAuth2;
using PSCompositeMail.Platform;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// Gmail tokens for a Google Workspace user, from a service account with domain-wide delegation, through
    /// Google.Apis.Auth: it signs the JWT-bearer grant with the key and asks the key file's own token_uri.
    /// </summary>
    internal sealed class GoogleServiceAccountTokenSource : ITokenIssuer
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

        public string Endpoint => _credential.IsValueCreated ? HttpsEndpoint.Shown(_credential.Value.TokenServerUrl)
            : $"the token_uri of {_settings.GoogleServiceAccountKey}";

        public string? LastRefusal => _endpointStatus.LastRefusal;

        // Always a new grant: AccessTokenCache keeps the token, once it knows the token can be used.
        public IssuedToken Request(CancellationToken cancellationToken)
        {
            var credential = _credential.Value;
            credential.RequestAccessTokenAsync(cancellationToken).GetAwaiter().GetResult();
            var token = credential.Token;
            return new IssuedToken(token.AccessToken, new DateTimeOffset(token.IssuedUtc, TimeSpan.Zero).AddSeconds(token.ExpiresInSeconds ?? 0));
        }

        private ServiceAccountCredential Build()
        {
            if (RegularFile.WhyNot(_settings.GoogleServiceAccountKey!) is { } what)
            {
                throw new TokenRequestException(
                    $"-GoogleServiceAccountKey: {_settings.GoogleServiceAccountKey} is {what}, not a regular file; it was not opened.");
            }

            var google = CredentialFactory.FromFile<ServiceAccountCredential>(_settings.GoogleServiceAccountKey!)
                .ToGoogleCredential()
                .CreateScoped(GmailScope)
                .CreateWithUser(_settings.UserName)
                .CreateWithHttpClientFactory(_endpointStatus);
            var credential = (ServiceAccountCredential)google.UnderlyingCredential;

            // The signed assertion goes to the key file's own token_uri: refuse it before any request unless it is https.
            if (!Uri.TryCreate(credential.TokenServerUrl, UriKind.Absolute, out var tokenUri) || !HttpsEndpoint.IsHttps(tokenUri))
            {
                throw new TokenRequestException(HttpsEndpoint.Refusal(credential.TokenServerUrl,
                    $"-GoogleServiceAccountKey {_settings.GoogleServiceAccountKey}: its token_uri"));
            }

            return credential;
        }
    }
}
