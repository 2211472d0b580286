using System;
using System.Threading;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// Tokens for an Azure managed identity (Automation, Functions, App Service, Arc, VMs) through MSAL, which finds
    /// the endpoint the host offers (IDENTITY_ENDPOINT and IDENTITY_HEADER on App Service and Automation).
    /// </summary>
    internal sealed class ManagedIdentityTokenSource : ITokenIssuer
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

        public string Endpoint => Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT") is { Length: > 0 } endpoint
            ? $"the managed identity endpoint {endpoint}"
            : "the managed identity endpoint";

        public string? LastRefusal => null;

        // Always from the endpoint: MSAL's managed identity cache is one for the whole process, keyed by the identity
        // alone, so it would hand a token from one endpoint to a backend of another. AccessTokenCache keeps it instead.
        public IssuedToken Request(CancellationToken cancellationToken)
        {
            var result = _application.Value.AcquireTokenForManagedIdentity(_resource).WithForceRefresh(true)
                .ExecuteAsync(cancellationToken).GetAwaiter().GetResult();
            return new IssuedToken(result.AccessToken, result.ExpiresOn);
        }

        private IManagedIdentityApplication Build()
        {
            var identity = _settings.ManagedIdentityClientId is { } clientId
                ? ManagedIdentityId.WithUserAssignedClientId(clientId)
                : ManagedIdentityId.SystemAssigned;
            return ManagedIdentityApplicationBuilder.Create(identity).WithHttpClientFactory(TokenEndpointHttp.Msal).Build();
        }
    }
}
