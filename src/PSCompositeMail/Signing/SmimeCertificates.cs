using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Signing
{
    /// <summary>
    /// Loads the S/MIME certificates a message names (files, the current user's store, objects) and refuses those
    /// that cannot do their job, as invalid input of that message. One instance per pipeline: a file named by many
    /// messages is read once.
    /// </summary>
    internal sealed class SmimeCertificates
    {
        /// <summary>The shortest RSA key this module signs or encrypts with, S/MIME and DKIM alike.</summary>
        public const int MinimumRsaBits = 2048;

        private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
        private const string AnyExtendedKeyUsage = "2.5.29.37.0";
        private const string RsaKey = "1.2.840.113549.1.1.1";
        private const string EcKey = "1.2.840.10045.2.1";

        private readonly Dictionary<string, X509Certificate2> _files = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        private readonly Func<DateTime> _now;

        public SmimeCertificates(Func<DateTime>? now = null)
        {
            _now = now ?? (() => DateTime.Now);
        }

        /// <summary>A PFX (PKCS#12) file with the private key.</summary>
        public X509Certificate2 LoadSigningFile(string path, SecureString? password, string parameter) =>
            Cached(path, () => new X509Certificate2(path, password, X509KeyStorageFlags.Exportable), parameter);

        /// <summary>A recipient's certificate, PEM or DER.</summary>
        public X509Certificate2 LoadEncryptionFile(string path, string parameter) => Cached(path, () => new X509Certificate2(path), parameter);

        /// <summary>A certificate with its private key from the current user's personal store (Cert:\CurrentUser\My).</summary>
        public static X509Certificate2 FromStore(string thumbprint, string parameter)
        {
            var wanted = new string(thumbprint.Where(Uri.IsHexDigit).ToArray());
            using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            X509Certificate2Collection found;
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                found = store.Certificates.Find(X509FindType.FindByThumbprint, wanted, validOnly: false);
            }
            catch (CryptographicException)
            {
                // The store does not exist yet: nothing was ever put into it.
                found = new X509Certificate2Collection();
            }

            if (found.Count == 0)
            {
                throw new MessageValidationException(
                    $"No certificate with thumbprint {wanted} is in the current user's personal store (Cert:\\CurrentUser\\My).", parameter,
                        thumbprint, MessageProblem.NotFound);
            }

            return found[0];
        }

        /// <summary>Signing needs the private key, a certificate valid now, and a key usage that allows signing e-mail.</summary>
        public void RequireSigning(X509Certificate2 certificate, string parameter)
        {
            RequireValidNow(certificate, parameter);
            if (!certificate.HasPrivateKey)
            {
                throw Unusable(certificate, parameter,
                    "has no private key, which signing needs (give the PFX file, or a certificate from a store that holds its key)");
            }

            RequireKeyAlgorithm(certificate, parameter, RsaKey, EcKey);
            RequireRsaStrength(certificate, parameter);
            RequireKeyUsage(certificate, parameter, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, "signing");
        }

        /// <summary>Encrypting for a recipient needs an RSA certificate valid now, of 2048 bits or more, whose key usage allows key
        /// encipherment.</summary>
        public void RequireEncryption(X509Certificate2 certificate, string parameter)
        {
            RequireValidNow(certificate, parameter);
            RequireKeyAlgorithm(certificate, parameter, RsaKey);
            RequireRsaStrength(certificate, parameter);
            RequireKeyUsage(certificate, parameter, X509KeyUsageFlags.KeyEncipherment, "encrypting for its owner");
        }

        /// <summary>
        /// The same floor as DKIM's (<see cref="MinimumRsaBits"/>): a shorter key protects the message's content key
        /// less than its readers expect (NIST SP 800-131A has disallowed RSA under 2048 bits since 2013).
        /// </summary>
        private static void RequireRsaStrength(X509Certificate2 certificate, string parameter)
        {
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is not null && rsa.KeySize < MinimumRsaBits)
            {
                throw Unusable(certificate, parameter,
                    $"holds a {rsa.KeySize}-bit RSA key; S/MIME needs {MinimumRsaBits} bits or more, as DKIM does (shorter keys can be broken): " +
                        "ask its owner for a new certificate");
            }
        }

        private X509Certificate2 Cached(string path, Func<X509Certificate2> load, string parameter)
        {
            if (_files.TryGetValue(path, out var known))
            {
                return known;
            }

            try
            {
                return _files[path] = load();
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MessageValidationException($"The certificate file '{path}' given to -{parameter} was not found.", parameter, path,
                    MessageProblem.NotFound, ex);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new MessageValidationException(
                    $"The certificate file '{path}' given to -{parameter} cannot be read ({ex.Message.Trim()}): give a PFX with its password to " +
                        "sign, a PEM or DER certificate to encrypt.",
                    parameter, path, MessageProblem.NotReadable, ex);
            }
        }

        private void RequireValidNow(X509Certificate2 certificate, string parameter)
        {
            var now = _now();
            if (certificate.NotAfter < now)
            {
                throw Unusable(certificate, parameter, $"expired on {certificate.NotAfter:yyyy-MM-dd HH:mm}");
            }

            if (certificate.NotBefore > now)
            {
                throw Unusable(certificate, parameter, $"is not valid before {certificate.NotBefore:yyyy-MM-dd HH:mm}");
            }
        }

        private static void RequireKeyAlgorithm(X509Certificate2 certificate, string parameter, params string[] algorithms)
        {
            if (!algorithms.Contains(certificate.PublicKey.Oid.Value))
            {
                var names = algorithms.Length == 1 ? "an RSA key" : "an RSA or elliptic-curve key";
                throw Unusable(certificate, parameter,
                    $"has a {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key; this use needs {names}");
            }
        }

        /// <summary>RFC 8550 4.4: key usage and extended key usage, when present, must allow the use.</summary>
        private static void RequireKeyUsage(X509Certificate2 certificate, string parameter, X509KeyUsageFlags anyOf, string use)
        {
            var keyUsage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            if (keyUsage is not null && (keyUsage.KeyUsages & anyOf) == 0)
            {
                throw Unusable(certificate, parameter, $"has key usage '{keyUsage.KeyUsages}', which does not allow {use}");
            }

            var extended = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
            if (extended is not null && !extended.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value is EmailProtection or AnyExtendedKeyUsage))
            {
                var uses = string.Join(", ", extended.EnhancedKeyUsages.Cast<Oid>().Select(o => o.FriendlyName ?? o.Value));
                throw Unusable(certificate, parameter, $"is only for {uses}, not for e-mail protection");
            }
        }

        private static MessageValidationException Unusable(X509Certificate2 certificate, string parameter, string why) =>
            new MessageValidationException($"The certificate '{certificate.Subject}' ({certificate.Thumbprint}) given to -{parameter} {why}.",
                parameter, certificate);
    }
}
