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
            ? $"the managed identity endpoint {HttpsEndpoint.Shown(endpoint)}"
            : "the managed identity endpoint";

        public string? LastRefusal => null;

        // Always from the endpoint: MSAL's managed identity cache is one for the whole process, keyed by the identity
        // alone, so it would hand a token from one endpoint to a backend of another. AccessTokenCache keeps it instead.
        public IssuedToken Request(CancellationToken cancellationToken)
        {
            if (HalfSetEnvironment() is { } problem)
            {
                throw new TokenRequestException($"No managed identity token for {_settings.Describe()}: {problem}");
            }

            var result = _application.Value.AcquireTokenForManagedIdentity(_resource).WithForceRefresh(true)
                .ExecuteAsync(cancellationToken).GetAwaiter().GetResult();
            return new IssuedToken(result.AccessToken, result.ExpiresOn);
        }

        /// <summary>
        /// App Service, Functions and Automation set IDENTITY_ENDPOINT and IDENTITY_HEADER together (Arc sets IMDS_ENDPOINT
        /// instead of the header). With one of the pair missing MSAL does not fail: it quietly asks the VM metadata service
        /// (169.254.169.254) instead, which is not the endpoint the host offers. So that is refused before any request.
        /// </summary>
        private static string? HalfSetEnvironment()
        {
            var endpoint = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
            var header = Environment.GetEnvironmentVariable("IDENTITY_HEADER");
            return string.IsNullOrEmpty(endpoint) == string.IsNullOrEmpty(header)
                || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IMDS_ENDPOINT"))
                ? null
                : string.IsNullOrEmpty(header)
                    ? $"IDENTITY_ENDPOINT is set ({endpoint}) but IDENTITY_HEADER is not. App Service, Functions and Automation set both; with " +
                        "only one, " +
                      "the token would be asked of the VM metadata service instead, so nothing was asked. Set both (or neither) in this process's " +
                      "environment."
                    : "IDENTITY_HEADER is set but IDENTITY_ENDPOINT is not. App Service, Functions and Automation set both; with only one, " +
                      "the token would be asked of the VM metadata service instead, so nothing was asked. Set both (or neither) in this process's " +
                      "environment.";
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
