using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.IO;
using MimeKit.IO.Filters;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Engine.Signing
{
    /// <summary>
    /// Signs (detached multipart/signed, readable without S/MIME) and encrypts (application/pkcs7-mime) a built
    /// message's body, signing first. Every check runs before any cryptography, so a refused message went nowhere.
    /// </summary>
    internal static class SmimeSealer
    {
        /// <summary>CRLF line ends, as RFC 8551 3.1.1 requires of what is signed or encrypted.</summary>
        private static readonly FormatOptions CanonicalText = CreateCanonicalText();

        private static FormatOptions CreateCanonicalText()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }

        /// <summary>
        /// Seals <paramref name="message"/>'s body. Returns the temporary file a signed (not encrypted) body is read
        /// from, which the caller disposes with the message, or null.
        /// </summary>
        public static IDisposable? Seal(MimeMessage message, SmimeOptions options, IReadOnlyList<MailboxAddress> recipients)
        {
            if (options.EncryptionCertificates.Count > 0 && message.Bcc.Count > 0)
            {
                // Each RecipientInfo names its certificate (issuer and serial): every reader would learn who else it was for.
                throw new MessageValidationException(
                    "-Bcc cannot be used with encryption: an encrypted message names the certificate of everyone it is encrypted for, so its To " +
                    "and Cc recipients " +
                    "could tell who the Bcc recipients are. Send each Bcc recipient a message of their own (as -To). Nothing was sent.",
                    "Bcc",
                    string.Join(", ", message.Bcc.Mailboxes.Select(m => m.Address)));
            }

            var encryptFor = options.EncryptionCertificates.Count == 0 ? null : RecipientsFor(options, recipients);
            var signer = options.SigningCertificate is { } signing ? SignerFor(signing) : null;
            if (options.SigningCertificate is { } signedBy)
            {
                WarnUnlessFor(signedBy, message.From.Mailboxes, options);
            }

            var original = message.Body!;
            var body = original;
            ScratchStream? signedText = null;
            try
            {
                if (signer is not null)
                {
                    signedText = new ScratchStream();
                    body = SignDetached(signer, body, signedText);
                }

                if (encryptFor is not null)
                {
                    body = Encrypt(encryptFor, body);
                    // The encrypted part holds the signed text now: the parsed copy is no longer needed.
                    signedText?.Dispose();
                    signedText = null;
                }

                message.Body = body;
                // What was sealed is read no more (the sealed body reads from its own files): close the attachments' files now.
                original.Dispose();
                return signedText;
            }
            catch
            {
                signedText?.Dispose();
                throw;
            }
        }

        /// <summary>
        /// MultipartSigned.Create, with the signed text in a temporary file instead of memory: it writes the entity
        /// (prepared and filtered as RFC 3156/8551 ask) to a MemoryBlockStream and parses it back into a copy in memory,
        /// two copies of a large attachment. Here the copy is parsed persistently: its parts read from
        /// <paramref name="signedText"/>, which must live as long as the message.
        /// </summary>
        private static MultipartSigned SignDetached(CmsSigner signer, MimeEntity entity, ScratchStream signedText)
        {
            entity.Prepare(EncodingConstraint.SevenBit, 78);
            using (var filtered = new FilteredStream(signedText))
            {
                filtered.Add(new ArmoredFromFilter());
                filtered.Add(new TrailingWhitespaceFilter());
                entity.WriteTo(CanonicalText, filtered);
                filtered.Flush();
            }

            signedText.Position = 0;
            var parsed = new MimeParser(signedText, MimeFormat.Entity, persistent: true).ParseEntity();
            signedText.Position = 0;
            using var context = new TemporarySecureMimeContext();
            var signature = context.Sign(signer, signedText);
            var signed = new MultipartSigned();
            signed.ContentType.Parameters["protocol"] = context.SignatureProtocol;
            signed.ContentType.Parameters["micalg"] = context.GetDigestAlgorithmName(signer.DigestAlgorithm);
            signed.Add(parsed);
            signed.Add(signature);
            return signed;
        }

        /// <summary>
        /// application/pkcs7-mime enveloped data for <paramref name="recipients"/>, AES-256-CBC (what RFC 8551 requires
        /// every agent to read), written as it is encrypted to a temporary file the part then reads from: MimeKit's
        /// Encrypt builds it in memory (BouncyCastle's CmsEnvelopedDataGenerator), several copies of a large attachment.
        /// The stream generator writes BER, as RFC 5652 allows and every S/MIME reader reads.
        /// </summary>
        private static ApplicationPkcs7Mime Encrypt(IReadOnlyList<X509Certificate2> recipients, MimeEntity entity)
        {
            var generator = new CmsEnvelopedDataStreamGenerator(new SecureRandom());
            foreach (var certificate in recipients)
            {
                generator.AddKeyTransRecipient(DotNetUtilities.FromX509Certificate(certificate));
            }

            var envelope = new ScratchStream();
            try
            {
                using (var encrypting = generator.Open(envelope, CmsEnvelopedGenerator.Aes256Cbc))
                {
                    entity.WriteTo(CanonicalText, encrypting);
                }

                envelope.Position = 0;
                return new ApplicationPkcs7Mime(SecureMimeType.EnvelopedData, envelope);
            }
            catch
            {
                envelope.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Each recipient's own certificates, matched by address: a message is readable by its recipients and nobody
        /// else, and a certificate of someone else (expired or not) neither joins nor blocks it.
        /// </summary>
        private static IReadOnlyList<X509Certificate2> RecipientsFor(SmimeOptions options, IReadOnlyList<MailboxAddress> recipients)
        {
            var offered = options.EncryptionCertificates
                .GroupBy(c => c.Thumbprint, StringComparer.OrdinalIgnoreCase)
                .Select(g => (Certificate: g.First(), Addresses: AddressesOf(g.First())))
                .ToArray();
            var used = new List<X509Certificate2>();
            foreach (var recipient in recipients)
            {
                var theirs = offered
                    .Where(o => o.Addresses.Contains(recipient.Address) || o.Addresses.Contains(recipient.GetAddress(true)))
                    .Select(o => o.Certificate)
                    .ToArray();
                if (theirs.Length == 0)
                {
                    throw new MessageValidationException(
                        $"No -EncryptionCertificate is for {recipient.Address}: every recipient (To and Cc) needs a certificate naming their " +
                            "address to read an encrypted message. Nothing was sent.",
                        "EncryptionCertificate",
                        recipient.Address);
                }

                used.AddRange(Usable(options, theirs).Where(c => !used.Contains(c)));
            }

            foreach (var (certificate, addresses) in offered.Where(o => !used.Contains(o.Certificate)))
            {
                options.Verbose(
                    $"S/MIME: not encrypting for '{certificate.Subject}' ({certificate.Thumbprint}, for {Describe(addresses)}): it is not the " +
                        "certificate of a recipient of this message.");
            }

            return used;
        }

        /// <summary>A recipient's certificates that can encrypt; when none can, why the first cannot.</summary>
        private static IEnumerable<X509Certificate2> Usable(SmimeOptions options, IReadOnlyList<X509Certificate2> theirs)
        {
            var usable = new List<X509Certificate2>();
            MessageValidationException? first = null;
            foreach (var certificate in theirs)
            {
                try
                {
                    options.RequireEncryption(certificate);
                    usable.Add(certificate);
                }
                catch (MessageValidationException ex)
                {
                    first ??= ex;
                    options.Verbose($"S/MIME: {ex.Message}");
                }
            }

            return usable.Count > 0 ? usable : throw first!;
        }

        private static string Describe(ISet<string> addresses) => addresses.Count == 0 ? "no e-mail address" : string.Join(", ", addresses);

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

        /// <summary>
        /// Mail readers compare the signer's certificate with From and flag a mismatch ("signed by someone else").
        /// A warning, not an error: the signature is valid, and sending for a shared or team address is common.
        /// </summary>
        private static void WarnUnlessFor(X509Certificate2 certificate, IEnumerable<MailboxAddress> from, SmimeOptions options)
        {
            var addresses = AddressesOf(certificate);
            foreach (var sender in from.Where(m => !addresses.Contains(m.Address) && !addresses.Contains(m.GetAddress(true))))
            {
                options.Warning(
                    $"S/MIME: the signing certificate '{certificate.Subject}' ({certificate.Thumbprint}) is for {Describe(addresses)}, not for the " +
                    $"From address {sender.Address}: " +
                    "mail readers will show the signature as made by someone else. Sign with a certificate issued for that address.");
            }
        }

        /// <summary>
        /// MimeKit reads a certificate's private key through X509Certificate2.PrivateKey, which knows RSA and DSA only;
        /// an ECDSA key is handed to BouncyCastle directly, on the curve the certificate names. Null for other keys.
        /// </summary>
        private static CmsSigner? EllipticCurveSigner(X509Certificate2 certificate)
        {
            using var key = certificate.GetECDsaPrivateKey();
            if (key is null)
            {
                return null;
            }

            var parsed = DotNetUtilities.FromX509Certificate(certificate);
            var publicKey = (ECPublicKeyParameters)parsed.GetPublicKey();
            var privateKey = new ECPrivateKeyParameters("EC", new BigInteger(1, key.ExportParameters(true).D), publicKey.Parameters);
            return new CmsSigner(parsed, privateKey) { DigestAlgorithm = DigestAlgorithm.Sha256 };
        }

        private static CmsSigner SignerFor(X509Certificate2 certificate)
        {
            try
            {
                return EllipticCurveSigner(certificate) ?? new CmsSigner(certificate) { DigestAlgorithm = DigestAlgorithm.Sha256 };
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException or NotSupportedException)
            {
                throw new MessageValidationException(
                    $"The private key of the certificate '{certificate.Subject}' ({certificate.Thumbprint}) given to -SigningCertificate cannot be " +
                        $"used for signing: {ex.Message}",
                    "SigningCertificate",
                    certificate,
                    MessageProblem.InvalidValue,
                    ex);
            }
        }
    }
}
