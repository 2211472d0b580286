using System;
using System.Threading;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// Tokens for an Azure managed identity (Automation, Functions, App Service, Arc, VMs) through MSAL, which finds
    /// the endpoint the host offers (IDENTITY_ENDPOINT and IDENTITY_HEADER on App Service and Automation), caches and renews.
    /// </summary>
    internal sealed class ManagedIdentityTokenSource : IAccessTokenSource
    {
        private readonly TokenSettings _settings;
        private readonly string _resource;
        private readonly Lazy<IManagedIdentityApplication> _application;

        public ManagedIdentityTokenSource(TokenSettings settings, string resource)
        {
            _settings = settings;
            _resource = resource;
            _application = new Lazy<IManagedIdentityApplication>(Build, LazyThreadSafetyMode.PublicationOnly);
        }

        public string GetToken(bool fresh, CancellationToken cancellationToken) =>
            TokenErrors.Explained(_settings, () => _application.Value.AcquireTokenForManagedIdentity(_resource).WithForceRefresh(fresh)
                .ExecuteAsync(cancellationToken).GetAwaiter().GetResult().AccessToken);

        private IManagedIdentityApplication Build()
        {
            var identity = _settings.ManagedIdentityClientId is { } clientId
                ? ManagedIdentityId.WithUserAssignedClientId(clientId)
                : ManagedIdentityId.SystemAssigned;
            return ManagedIdentityApplicationBuilder.Create(identity).Build();
        }
    }
}
