using System;
using System.Linq;
using System.Net.Http;
using System.Text.RegularExpressions;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Identity.Client;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>Turns what the token libraries throw into an error that names the setting at fault. Never quotes a secret: the libraries' messages
    /// hold none.</summary>
    internal static class TokenErrors
    {
        private static readonly Regex AadstsCode = new Regex(@"AADSTS(\d+)", RegexOptions.CultureInvariant);

        /// <summary>
        /// What a token library threw, of whatever type, as an error of this backend for this message that names the
        /// setting at fault: a library's own bug must not look like ours and end the pipeline.
        /// </summary>
        /// <param name="lastRefusal">How the endpoint last refused ("503 Service Unavailable"), for libraries that lose it; null if unknown.</param>
        /// <returns>The exception to throw instead, or null to let <paramref name="exception"/> through (cancellation, our own errors).</returns>
        public static Exception? Explain(Exception exception, TokenSettings settings, string? lastRefusal = null)
        {
            if (exception is OperationCanceledException or TokenRequestException)
            {
                return null;
            }

            // Ours, thrown inside the library's HTTP stack (a refused redirect) and wrapped by the library on its way out.
            for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
            {
                if (inner is TokenRequestException ours)
                {
                    return ours;
                }
            }

            var who = settings.Describe();
            if (Untrusted(exception) is { } tls)
            {
                return new System.Security.Authentication.AuthenticationException(
                    $"Could not get a token for {who}: the identity endpoint's TLS certificate is not trusted ({tls.Message}). " +
                    "Certificates are always validated against the system's trusted roots; fix the endpoint or trust its CA on this machine.",
                    exception);
            }

            return exception switch
            {
                MsalException unreachable when settings.Source == TokenProvider.ManagedIdentity
                    && unreachable.ErrorCode == MsalError.ManagedIdentityUnreachableNetwork
                    && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT")) =>
                    new TokenRequestException(
                        $"No managed identity token for {who}: no App Service, Automation or Functions identity endpoint was found " +
                        "(IDENTITY_ENDPOINT is not set), and the Azure VM instance metadata service could not be reached, so this machine offers " +
                        "no managed identity. " +
                        "-ManagedIdentity works in Azure Automation, Functions, App Service, on Arc-enabled servers and on Azure VMs with an " +
                        $"identity assigned; elsewhere use -ClientSecret or a certificate. ({unreachable.Message})", exception),
                MsalServiceException { StatusCode: >= 500 or 429 } unavailable => new TokenRequestException(
                    $"Could not get a token for {who}: " +
                    $"{(settings.Source == TokenProvider.ManagedIdentity ? "the managed identity endpoint" : "Entra ID's token endpoint")} " +
                    $"answered {unavailable.StatusCode}, so the service is unavailable for now; this says nothing about the settings. Try again " +
                    $"later. ({unavailable.Message})", exception),
                MsalServiceException { StatusCode: 0 } unanswered when settings.Source == TokenProvider.ManagedIdentity =>
                    new TokenRequestException(
                        $"Could not get a token for {who}: the managed identity endpoint could not be reached or broke off its answer " +
                        $"({unanswered.Message}). " +
                        "It refused nothing, so this says nothing about the identity: try again later, and check that the host's identity endpoint " +
                        "is running.", exception),
                MsalServiceException service when settings.Source == TokenProvider.ManagedIdentity =>
                    new TokenRequestException($"The managed identity endpoint refused a token for {who}: {service.Message} " +
                        "Check that this identity is assigned to the Automation account, Function or VM (for a user-assigned one, " +
                        "-ManagedIdentityClientId is its client ID).", exception),
                MsalServiceException service => new TokenRequestException(
                    $"Entra ID refused a token for {who}: {ForAadsts(service.Message, settings)} (Entra ID said: {service.Message})", exception),
                MsalClientException client when settings.Source == TokenProvider.ManagedIdentity =>
                    new TokenRequestException($"No managed identity token for {who}: {client.Message} " +
                        "-ManagedIdentity works where Azure offers an identity endpoint (Automation, Functions, App Service, Arc, VMs).", exception),
                MsalException msal => new TokenRequestException($"Could not get a token for {who}: {msal.Message}", exception),
                TokenResponseException { StatusCode: { } status } unavailable when (int)status >= 500 || (int)status == 429 =>
                    new TokenRequestException(
                    $"Could not get a token for {who}: Google's token endpoint answered {(int)status}, so the service is unavailable for now; " +
                    "this says nothing about the key or the delegation. Try again later.", exception),
                TokenResponseException google => new TokenRequestException(
                    $"Google refused a token for {who}: {google.Error?.Error} {google.Error?.ErrorDescription}. " +
                    "Check that the key is current, that domain-wide delegation in the Admin console lists the service account's client ID with " +
                    "the scope https://mail.google.com/, and that -UserName is a user of that Workspace.", exception),
                HttpRequestException http => new TokenRequestException($"Could not reach the identity endpoint for {who}: {http.Message}", exception),
                System.IO.IOException or InvalidOperationException or ArgumentException
                    or UnauthorizedAccessException when settings.Source == TokenProvider.GoogleServiceAccount =>
                    new TokenRequestException(
                        $"-GoogleServiceAccountKey: {settings.GoogleServiceAccountKey} could not be used as a service account key: " +
                        $"{exception.Message}", exception),
                _ when lastRefusal is not null => new TokenRequestException(
                    $"Could not get a token for {who}: the token endpoint answered {lastRefusal}"
                        + (lastRefusal.StartsWith("5", StringComparison.Ordinal)
                        ? ", so the service is unavailable for now: try again later."
                        : $" without saying why ({exception.GetType().Name} in the token library)."), exception),
                _ => new TokenRequestException(
                    $"Could not get a token for {who}: the token library failed ({exception.GetType().Name}: {exception.Message}).", exception),
            };
        }

        /// <summary>The common AADSTS codes, each with the setting it points at.</summary>
        internal static string ForAadsts(string message, TokenSettings settings)
        {
            var code = AadstsCode.Match(message) is { Success: true } match ? match.Groups[1].Value : string.Empty;
            var secretName = "-ClientSecret (in a profile, the variable ClientSecretEnv names)";
            return code switch
            {
                "7000215" => $"the client secret is wrong. Check {secretName}: it must be the secret's Value, not its Secret ID.",
                "7000222" => $"the client secret has expired. Add a new one to app {settings.ClientId} (Certificates & secrets) and update " +
                    $"{secretName}.",
                "700027" => $"the certificate was refused. Upload its public part (.cer) to app {settings.ClientId} under Certificates & secrets, " +
                    "and check -ClientCertificate/-ClientCertificatePath/-ClientCertificateThumbprint point at the matching certificate and key.",
                "700024" => "the signed assertion is outside its validity time: check this machine's clock.",
                "700016" => $"no app with -ClientId {settings.ClientId} exists in tenant {settings.TenantId}. Check -ClientId (the Application " +
                    "(client) ID) and -TenantId.",
                "90002" or "900023" or "90013" =>
                    $"-TenantId {settings.TenantId} is not a known tenant. Use the Directory (tenant) ID or a verified domain of the tenant.",
                "7000112" => $"app {settings.ClientId} is disabled in tenant {settings.TenantId}.",
                "500011" => "the resource is not registered in this tenant: for SMTP, add Exchange Online's service principal " +
                    "(New-ServicePrincipal in Exchange Online PowerShell); check -Cloud.",
                "1002012" or "70011" => "the scope is not valid for an app-only token.",
                "7000218" => "no credential was sent: give -ClientSecret or a certificate.",
                _ => "check -TenantId, -ClientId and the secret or certificate.",
            };
        }

        private static Exception? Untrusted(Exception exception)
        {
            for (var current = exception; current is not null; current = current.InnerException)
            {
                if (current is System.Security.Authentication.AuthenticationException)
                {
                    return current;
                }
            }

            return null;
        }
    }
}
