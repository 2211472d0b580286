using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Engine.Signing
{
    /// <summary>
    /// Signs with DKIM (relaxed/relaxed) what one backend sends. The message a composite hands to every backend is
    /// never touched: its wire bytes are parsed into a copy, the copy is prepared for any transport and signed,
    /// and the copy is what leaves, so the signature covers exactly the bytes sent.
    /// </summary>
    internal sealed class DkimMessageSigner : IDkimSigner
    {
        /// <summary>
        /// From, To, Cc and Subject twice: the second names an instance that does not exist, so one of them added later
        /// (a second Subject many readers would show) breaks the signature (RFC 6376 8.15). Headers absent from a
        /// message are signed as absent for the same reason. The List-* fields a mail reader acts on are signed too:
        /// RFC 8058 4 requires List-Unsubscribe and List-Unsubscribe-Post to be covered, or anyone on the way could
        /// point the one-click unsubscribe elsewhere.
        /// </summary>
        private static readonly IList<string> SignedHeaders = new[]
        {
            "From", "From", "Sender", "Reply-To", "To", "To", "Cc", "Cc", "Subject", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
            "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        };

        private readonly DkimSigner _signer;

        public DkimMessageSigner(string domain, string selector, string privateKeyPem, string keySource)
        {
            var key = DkimKeyReader.Read(privateKeyPem, keySource);
            byte[] publicKey;
            if (key is RsaPrivateCrtKeyParameters rsa)
            {
                Algorithm = "rsa-sha256";
                KeyBits = rsa.Modulus.BitLength;
                publicKey = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent))
                    .GetDerEncoded();
                Record = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(publicKey);
            }
            else
            {
                // RFC 8463: the record holds the bare 32-byte Ed25519 public key.
                Algorithm = "ed25519-sha256";
                KeyBits = 256;
                publicKey = ((Ed25519PrivateKeyParameters)key).GeneratePublicKey().GetEncoded();
                Record = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(publicKey);
            }

            _signer = new DkimSigner(key, domain, selector, key is Ed25519PrivateKeyParameters ? DkimSignatureAlgorithm.Ed25519Sha256
                : DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
        }

        public string Algorithm { get; }

        public int KeyBits { get; }

        public string Record { get; }

        public IOutgoingMessage Sign(IOutgoingMessage message)
        {
            var original = OutgoingMessage.Of(message);
            RefuseOthersSignatures(original.Mime);
            var wire = new ScratchStream();
            MimeMessage? copy = null;
            try
            {
                copy = WireCopy(original.Mime, wire);
                // The wire has no Bcc header, but a pickup file keeps it (DirectoryBackend); it is never signed.
                copy.Bcc.AddRange(original.Mime.Bcc.Mailboxes);
                // A message loaded from an .eml file may hold 8-bit parts: encode them now, as no transport may change signed bytes.
                copy.Prepare(EncodingConstraint.SevenBit, 998);
                // Sessions of one backend sign in parallel under -ThrottleLimit, and DkimSigner promises no thread safety.
                lock (_signer)
                {
                    _signer.Sign(MimeText.Wire, copy, SignedHeaders);
                }

                return new OutgoingMessage(copy, original.EnvelopeSender, original.Recipients, original.DeliveryNotification,
                    backing: wire) { RawUtf8Headers = original.RawUtf8Headers };
            }
            catch
            {
                copy?.Dispose();
                wire.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A DKIM-Signature an .eml file brings along stays only when it is this signer's domain (or one below it):
        /// counter-signing another domain's signature would replay that domain's message under this one's name.
        /// </summary>
        private void RefuseOthersSignatures(MimeMessage message)
        {
            foreach (var header in message.Headers)
            {
                if (header.Id == HeaderId.DkimSignature && SigningDomain(header.Value) is var domain &&
                    !(string.Equals(domain, _signer.Domain, StringComparison.OrdinalIgnoreCase) ||
                      (domain?.EndsWith("." + _signer.Domain, StringComparison.OrdinalIgnoreCase) ?? false)))
                {
                    throw new MessageValidationException(
                        $"The message carries a DKIM-Signature of {ControlCharacters.Escape(domain ?? "no domain")}, and this backend signs as " +
                        $"{_signer.Domain}: " +
                        "signing it again would replay the other domain's signature under this one. Remove that DKIM-Signature from the file, or " +
                        "attach the message (-Attachments) to pass it on.",
                        "Path",
                        domain);
                }
            }
        }

        /// <summary>The d= tag of a DKIM-Signature (RFC 6376 3.5), without its folding white space; null when it has none.</summary>
        private static string? SigningDomain(string value)
        {
            foreach (var tag in value.Split(';'))
            {
                var parts = tag.Split(new[] { '=' }, 2);
                if (parts.Length == 2 && parts[0].Trim() == "d")
                {
                    return string.Concat(parts[1].Where(c => !char.IsWhiteSpace(c)));
                }
            }

            return null;
        }

        /// <summary>
        /// The message exactly as it goes on the wire (no Bcc header), parsed back into a message of its own whose parts
        /// are read from <paramref name="wire"/> (a large attachment stays in its temporary file).
        /// </summary>
        private static MimeMessage WireCopy(MimeMessage message, ScratchStream wire)
        {
            MimeText.WriteTo(message, wire);
            wire.Position = 0;
            return MimeMessage.Load(wire, persistent: true);
        }
    }
}
