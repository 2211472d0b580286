using System;
using System.Net;
using System.Threading;
using Microsoft.Identity.Client;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>App-only tokens from Microsoft Entra ID (client credentials, with a secret or a certificate) through MSAL, which caches and renews them.</summary>
    internal sealed class EntraAppTokenSource : IAccessTokenSource
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

        public string GetToken(bool fresh, CancellationToken cancellationToken) =>
            TokenErrors.Explained(_settings, () => _application.Value.AcquireTokenForClient(_scopes).WithForceRefresh(fresh)
                .ExecuteAsync(cancellationToken).GetAwaiter().GetResult().AccessToken);

        private IConfidentialClientApplication Build()
        {
            var host = _settings.EffectiveAuthorityHost.ToString().TrimEnd('/');
            var builder = ConfidentialClientApplicationBuilder.Create(_settings.ClientId)
                .WithAuthority($"{host}/{_settings.TenantId}/", validateAuthority: _settings.AuthorityHost is null);
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
