using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Platform;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>The app certificate with its private key: the object given, a PFX or PEM file, or the certificate store.</summary>
    internal static class ClientCertificates
    {
        public static X509Certificate2 Load(TokenSettings settings)
        {
            var certificate = settings.ClientCertificate
                ?? (settings.ClientCertificatePath is { } path ? FromFile(path,
                    settings.ClientCertificatePassword is { } p ? new NetworkCredential(string.Empty, p).Password : null)
                : FromStore(settings.ClientCertificateThumbprint!));
            if (!certificate.HasPrivateKey)
            {
                throw new TokenRequestException(
                    $"The certificate {certificate.Subject} ({certificate.Thumbprint}) has no private key here, so it cannot sign in as app " +
                    $"{settings.ClientId}. " +
                    "Use the PFX (or PEM with its key) that holds the key, or import it into the store with its key.");
            }

            return certificate;
        }

        private static X509Certificate2 FromFile(string path, string? password)
        {
            if (!File.Exists(path))
            {
                throw new TokenRequestException($"-ClientCertificatePath: the file {path} does not exist.");
            }

            if (RegularFile.WhyNot(path) is { } what)
            {
                throw new TokenRequestException($"-ClientCertificatePath: {path} is {what}, not a regular file; it was not opened.");
            }

            try
            {
                return IsPem(path) ? FromPem(path, password) : new X509Certificate2(path, password, X509KeyStorageFlags.DefaultKeySet);
            }
            catch (CryptographicException ex)
            {
                throw new TokenRequestException(
                    $"-ClientCertificatePath: {path} could not be read as a PFX or PEM certificate with its key ({ex.Message}). " +
                    "If it is protected, check -ClientCertificatePassword (or the profile's ClientCertificatePasswordEnv variable).", ex);
            }
        }

        private static bool IsPem(string path)
        {
            using var reader = new StreamReader(path);
            var buffer = new char[64];
            var read = reader.Read(buffer, 0, buffer.Length);
            return new string(buffer, 0, read).TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal);
        }

        private delegate X509Certificate2 PemLoader(string certificatePath, string? keyPath);

        private delegate X509Certificate2 EncryptedPemLoader(string certificatePath, ReadOnlySpan<char> password, string? keyPath);

        /// <summary>
        /// X509Certificate2.CreateFromPemFile and CreateFromEncryptedPemFile exist from .NET 5 on, which PowerShell 7 runs
        /// on; this assembly targets .NET Standard 2.0 for Windows PowerShell too, where PEM is not offered.
        /// </summary>
        private static X509Certificate2 FromPem(string path, string? password)
        {
            var type = typeof(X509Certificate2);
            var plain = type.GetMethod("CreateFromPemFile", new[] { typeof(string), typeof(string) });
            var encrypted = type.GetMethod("CreateFromEncryptedPemFile", new[] { typeof(string), typeof(ReadOnlySpan<char>), typeof(string) });
            if (plain is null || encrypted is null)
            {
                throw new TokenRequestException(
                    "A PEM certificate needs PowerShell 7; on Windows PowerShell use a PFX file or -ClientCertificateThumbprint.");
            }

            try
            {
                var certificate = password is null
                    ? ((PemLoader)Delegate.CreateDelegate(typeof(PemLoader), plain))(path, null)
                    : ((EncryptedPemLoader)Delegate.CreateDelegate(typeof(EncryptedPemLoader), encrypted))(path, password.AsSpan(), null);
                // A key read from PEM is ephemeral; a PFX round trip gives one every platform can sign with.
                return new X509Certificate2(certificate.Export(X509ContentType.Pfx));
            }
            catch (ArgumentException ex)
            {
                throw new CryptographicException(ex.Message, ex);
            }
        }

        private static X509Certificate2 FromStore(string thumbprint)
        {
            var wanted = new string(thumbprint.Where(Uri.IsHexDigit).ToArray());
            foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                using var store = new X509Store(StoreName.My, location);
                try
                {
                    store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                }
                catch (CryptographicException)
                {
                    continue;
                }

                var found = store.Certificates.Find(X509FindType.FindByThumbprint, wanted, validOnly: false);
                if (found.Count > 0)
                {
                    return found[0];
                }
            }

            throw new TokenRequestException(
                $"-ClientCertificateThumbprint: no certificate {wanted} in the personal store (Cert:\\CurrentUser\\My or Cert:\\LocalMachine\\My) " +
                    "of this account.");
        }
    }
}
