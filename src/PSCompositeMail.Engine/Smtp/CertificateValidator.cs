using System;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// Validates the server's certificate: chain and host name must hold. Revocation is checked, but a
    /// revocation list that cannot be reached (offline machines, internal CAs without CRL) does not fail the
    /// connection; a certificate reported as revoked does. A pinned thumbprint trusts one certificate as it is.
    /// </summary>
    internal sealed class CertificateValidator
    {
        private readonly SmtpSettings _settings;

        public CertificateValidator(SmtpSettings settings)
        {
            _settings = settings;
        }

        /// <summary>Why the last certificate was refused, for the error the user sees.</summary>
        public string? Rejection { get; private set; }

        public string? Note { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            Rejection = null;
            Note = null;
            if (_settings.SkipCertificateCheck)
            {
                return true;
            }

            if (certificate is null)
            {
                Rejection = "the server sent no certificate";
                return false;
            }

            using var server = new X509Certificate2(certificate);
            var identity = $"subject '{server.Subject}', SHA-1 thumbprint {server.Thumbprint}, SHA-256 thumbprint {Sha256Thumbprint(server)}";
            if (_settings.CertificateThumbprint is { } pinned)
            {
                if (Matches(pinned, server))
                {
                    Note = $"certificate accepted by its pinned thumbprint ({identity})";
                    return true;
                }

                Rejection = $"its thumbprint does not match the pinned {pinned} ({identity})";
                return false;
            }

            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            if (errors == SslPolicyErrors.RemoteCertificateChainErrors && chain is not null &&
                chain.ChainStatus.All(s => s.Status is X509ChainStatusFlags.NoError or X509ChainStatusFlags.RevocationStatusUnknown
                    or X509ChainStatusFlags.OfflineRevocation))
            {
                Note = "the certificate's revocation status could not be checked (no revocation list reachable); accepted";
                return true;
            }

            Rejection = Describe(errors, chain) + $" ({identity})";
            return false;
        }

        internal static string Sha256Thumbprint(X509Certificate2 certificate)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(certificate.RawData).Select(b => b.ToString("X2")));
        }

        private static bool Matches(string pinned, X509Certificate2 certificate)
        {
            var wanted = new string(pinned.Where(Uri.IsHexDigit).ToArray());
            return string.Equals(wanted, certificate.Thumbprint, StringComparison.OrdinalIgnoreCase) ||
                   string.Equals(wanted, Sha256Thumbprint(certificate), StringComparison.OrdinalIgnoreCase);
        }

        private static string Describe(SslPolicyErrors errors, X509Chain? chain)
        {
            var reasons = new System.Collections.Generic.List<string>();
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                reasons.Add("the certificate was not issued for this host name");
            }

            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var statuses = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.StatusInformation.Trim())
                    .Distinct().ToArray();
                reasons.Add(statuses is { Length: > 0 } ? "the chain is not trusted: " + string.Join(" ", statuses) : "the chain is not trusted");
            }

            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                reasons.Add("the server sent no certificate");
            }

            return string.Join("; ", reasons);
        }
    }
}
