using System;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace PSCompositeMail.Tokens
{
    /// <summary>Where an app-only token comes from.</summary>
    public enum TokenProvider
    {
        ClientSecret,
        ClientCertificate,
        ManagedIdentity,
        GoogleServiceAccount,
    }

    /// <summary>
    /// Everything needed to fetch app-only access tokens: an Entra ID app (secret or certificate), a managed identity,
    /// or a Google service account acting as a user. Only settings: nothing is read or fetched until a message needs
    /// a token. Secrets stay in here as SecureString and are never formatted.
    /// </summary>
    internal sealed class TokenSettings
    {
        public string? TenantId { get; set; }

        public string? ClientId { get; set; }

        public SecureString? ClientSecret { get; set; }

        public X509Certificate2? ClientCertificate { get; set; }

        /// <summary>PFX, or PEM holding the certificate and its key.</summary>
        public string? ClientCertificatePath { get; set; }

        public SecureString? ClientCertificatePassword { get; set; }

        public string? ClientCertificateThumbprint { get; set; }

        public bool ManagedIdentity { get; set; }

        /// <summary>A user-assigned identity; null means the system-assigned one.</summary>
        public string? ManagedIdentityClientId { get; set; }

        /// <summary>Path of a service account's JSON key.</summary>
        public string? GoogleServiceAccountKey { get; set; }

        /// <summary>Google: the user the service account acts as (domain-wide delegation).</summary>
        public string? UserName { get; set; }

        public MicrosoftCloud Cloud { get; set; }

        public Uri? AuthorityHost { get; set; }

        public TokenProvider Source =>
            GoogleServiceAccountKey is not null ? TokenProvider.GoogleServiceAccount
            : ManagedIdentity ? TokenProvider.ManagedIdentity
            : ClientSecret is not null ? TokenProvider.ClientSecret
            : TokenProvider.ClientCertificate;

        public Uri EffectiveAuthorityHost => AuthorityHost ?? MicrosoftCloudEndpoints.AuthorityHost(Cloud);

        /// <summary>Who asks for tokens, in words that hold no secret.</summary>
        public string Describe() => Source switch
        {
            TokenProvider.GoogleServiceAccount => $"Google service account key {GoogleServiceAccountKey} acting as {UserName}",
            TokenProvider.ManagedIdentity => ManagedIdentityClientId is null
                ? "the system-assigned managed identity"
                : $"the user-assigned managed identity {ManagedIdentityClientId}",
            TokenProvider.ClientSecret => $"app {ClientId} in tenant {TenantId} with a client secret",
            _ => $"app {ClientId} in tenant {TenantId} with the certificate {CertificateName()}",
        };

        private string CertificateName() =>
            ClientCertificate is { } certificate ? certificate.Thumbprint
            : ClientCertificateThumbprint ?? ClientCertificatePath ?? string.Empty;

        /// <summary>Checks that exactly one way of getting tokens was given, with what it needs; says what is missing otherwise.</summary>
        public void Validate()
        {
            var certificates = (ClientCertificate is null ? 0 : 1) + (ClientCertificatePath is null ? 0 : 1)
                + (ClientCertificateThumbprint is null ? 0 : 1);
            var ways = (ClientSecret is null ? 0 : 1) + (certificates > 0 ? 1 : 0) + (ManagedIdentity ? 1 : 0)
                + (GoogleServiceAccountKey is null ? 0 : 1);
            if (ways != 1 || certificates > 1)
            {
                throw new ArgumentException(
                    "Give one way of getting tokens: -ClientSecret, one of -ClientCertificate/-ClientCertificatePath/-ClientCertificateThumbprint " +
                    "(each with -TenantId and -ClientId), -ManagedIdentity, or -GoogleServiceAccountKey with -UserName.");
            }

            if (ClientCertificatePassword is not null && ClientCertificatePath is null)
            {
                throw new ArgumentException("-ClientCertificatePassword goes with -ClientCertificatePath.");
            }

            if (ManagedIdentityClientId is not null && !ManagedIdentity)
            {
                throw new ArgumentException("-ManagedIdentityClientId goes with -ManagedIdentity.");
            }

            switch (Source)
            {
                case TokenProvider.GoogleServiceAccount when string.IsNullOrEmpty(UserName):
                    throw new ArgumentException(
                        "-GoogleServiceAccountKey needs -UserName: the mailbox the service account acts as (domain-wide delegation).");
                case TokenProvider.ClientSecret or TokenProvider.ClientCertificate when string.IsNullOrEmpty(TenantId)
                    || string.IsNullOrEmpty(ClientId):
                    throw new ArgumentException(
                        "An Entra ID app needs -TenantId (the directory ID or a verified domain) and -ClientId (the application ID).");
            }
        }
    }
}
