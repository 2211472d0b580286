using System;
using System.Net;
using System.Threading;
using Microsoft.Identity.Client;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>App-only tokens from Microsoft Entra ID (client credentials, with a secret or a certificate) through MSAL.</summary>
    internal sealed class EntraAppTokenSource : ITokenIssuer
    {
        private readonly TokenSettings _settings;
        private readonly string[] _scopes;

        // Built at the first token request, not before: loading a certificate or reading a store is part of getting a token.
        // PublicationOnly: a failure (say, a wrong certificate password) is not remembered, so a fixed setup works on the next try.
        private readonly Lazy<IConfidentialClientApplication> _application;

        public EntraAppTokenSource(TokenSettings settings, string resource)
        {
            _settings = settings;
            _scopes = new[] { resource + "/.default" };
            _application = new Lazy<IConfidentialClientApplication>(Build, LazyThreadSafetyMode.PublicationOnly);
        }

        private string Authority => $"{_settings.EffectiveAuthorityHost.ToString().TrimEnd('/')}/{_settings.TenantId}/";

        public string Endpoint => $"{HttpsEndpoint.Shown(_settings.EffectiveAuthorityHost).TrimEnd('/')}/{_settings.TenantId}/";

        public string? LastRefusal => null;

        // Always from Entra ID: AccessTokenCache keeps the token, once it knows the token can be used.
        public IssuedToken Request(CancellationToken cancellationToken)
        {
            var result = _application.Value.AcquireTokenForClient(_scopes).WithForceRefresh(true)
                .ExecuteAsync(cancellationToken).GetAwaiter().GetResult();
            return new IssuedToken(result.AccessToken, result.ExpiresOn);
        }

        private IConfidentialClientApplication Build()
        {
            var builder = ConfidentialClientApplicationBuilder.Create(_settings.ClientId)
                .WithAuthority(Authority, validateAuthority: _settings.AuthorityHost is null)
                .WithHttpClientFactory(TokenEndpointHttp.Msal);
            if (_settings.AuthorityHost is not null)
            {
                // A host given by -AuthorityHost is not in MSAL's list of Microsoft clouds: asking Microsoft's discovery
                // endpoint about it would reach out to login.microsoftonline.com.
                builder = builder.WithInstanceDiscovery(false);
            }

            builder = _settings.ClientSecret is { } secret
                ? builder.WithClientSecret(new NetworkCredential(string.Empty, secret).Password)
                : builder.WithCertificate(ClientCertificates.Load(_settings));
            return builder.Build();
        }
    }
}
