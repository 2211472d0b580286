using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Security;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Signing
{
    /// <summary>
    /// Signs (detached multipart/signed, readable without S/MIME) and encrypts (application/pkcs7-mime) a built
    /// message's body, signing first. Every check runs before any cryptography, so a refused message went nowhere.
    /// </summary>
    internal static class SmimeSealer
    {
        /// <summary>What RFC 8551 requires every S/MIME agent to read, strongest first; never 3DES or RC2.</summary>
        private static readonly EncryptionAlgorithm[] Ciphers = { EncryptionAlgorithm.Aes256, EncryptionAlgorithm.Aes192, EncryptionAlgorithm.Aes128 };

        public static void Seal(MimeMessage message, SmimeOptions options, IReadOnlyList<MailboxAddress> recipients)
        {
            var encryptFor = options.EncryptionCertificates.Count == 0 ? null : RecipientsFor(options.EncryptionCertificates, recipients);
            var signer = options.SigningCertificate is { } signing ? SignerFor(signing) : null;
            using var context = new TemporarySecureMimeContext();
            MimeEntity body = message.Body!;
            if (signer is not null)
            {
                body = MultipartSigned.Create(context, signer, body);
            }

            if (encryptFor is not null)
            {
                body = ApplicationPkcs7Mime.Encrypt(context, encryptFor, body);
            }

            message.Body = body;
        }

        /// <summary>Every envelope recipient, Bcc included, must be able to read what is sent to them.</summary>
        private static CmsRecipientCollection RecipientsFor(IReadOnlyList<X509Certificate2> certificates, IReadOnlyList<MailboxAddress> recipients)
        {
            var owners = certificates
                .GroupBy(c => c.Thumbprint, StringComparer.OrdinalIgnoreCase)
                .Select(g => (Certificate: g.First(), Addresses: AddressesOf(g.First())))
                .ToArray();
            foreach (var recipient in recipients)
            {
                if (!owners.Any(o => o.Addresses.Contains(recipient.Address) || o.Addresses.Contains(recipient.GetAddress(true))))
                {
                    throw new MessageValidationException(
                        $"No -EncryptionCertificate is for {recipient.Address}: every recipient (To, Cc and Bcc) needs a certificate naming their address to read an encrypted message. Nothing was sent.",
                        "EncryptionCertificate",
                        recipient.Address);
                }
            }

            var collection = new CmsRecipientCollection();
            foreach (var owner in owners)
            {
                collection.Add(new CmsRecipient(owner.Certificate) { EncryptionAlgorithms = Ciphers });
            }

            return collection;
        }

        /// <summary>The e-mail addresses a certificate is for: its subject alternative names and its subject's E=.</summary>
        internal static ISet<string> AddressesOf(X509Certificate2 certificate)
        {
            var parsed = DotNetUtilities.FromX509Certificate(certificate);
            var addresses = new HashSet<string>(parsed.SubjectDN.GetValueList(X509Name.EmailAddress), StringComparer.OrdinalIgnoreCase);
            foreach (var name in parsed.GetSubjectAlternativeNames() ?? Enumerable.Empty<IList<object>>())
            {
                if (name.Count == 2 && name[0] is int tag && tag == GeneralName.Rfc822Name && name[1] is string address)
                {
                    addresses.Add(address);
                }
            }

            return addresses;
        }

        private static CmsSigner SignerFor(X509Certificate2 certificate)
        {
            try
            {
                return new CmsSigner(certificate) { DigestAlgorithm = DigestAlgorithm.Sha256 };
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException or NotSupportedException)
            {
                throw new MessageValidationException(
                    $"The private key of the certificate '{certificate.Subject}' ({certificate.Thumbprint}) given to -SigningCertificate cannot be used for signing: {ex.Message}",
                    "SigningCertificate",
                    certificate,
                    MessageProblem.InvalidValue,
                    ex);
            }
        }
    }
}
