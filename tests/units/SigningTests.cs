using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Signing;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Signing;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class SigningTests
    {
        internal static readonly string RsaPem = RSA.Create(2048).ExportPkcs8PrivateKeyPem();

        private static string Wire(IOutgoingMessage message)
        {
            using var buffer = new MemoryStream();
            message.WriteTo(buffer);
            return Encoding.ASCII.GetString(buffer.ToArray());
        }

        [Fact]
        public void The_engine_refuses_to_sign_a_message_it_did_not_make_and_says_so()
        {
            var signer = new DkimMessageSigner("example.com", "s1", RsaPem, "test key");
            using var foreign = new ForeignMessage();

            var refused = Assert.Throws<InvalidCastException>(() => signer.Sign(foreign));

            Assert.Contains("only messages it built or loaded itself", refused.Message);
            Assert.Contains(typeof(ForeignMessage).FullName!, refused.Message);
        }

        [Fact]
        public void Dkim_signs_a_copy_that_is_the_signature_header_in_front_of_the_unchanged_message()
        {
            using var message = MessageBuilder.Build(new MessageSpec
            {
                From = "ops@example.com",
                To = new[] { "jane@example.com" },
                Bcc = new[] { "hidden@example.com" },
                Subject = "s",
                Body = "long line " + new string('x', 2000),
            });
            var before = Wire(message);
            var signer = new DkimMessageSigner("example.com", "s1", RsaPem, "test key");

            using var signed = signer.Sign(message);

            var text = Wire(signed);
            Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; c=relaxed/relaxed;", text);
            Assert.EndsWith(before, text);
            Assert.Equal(before, Wire(message));
            Assert.DoesNotContain("DKIM-Signature", Wire(message));
            Assert.Equal(message.RecipientAddresses, signed.RecipientAddresses);
            using var pickup = new MemoryStream();
            signed.WriteForPickup(pickup);
            Assert.Contains("Bcc: hidden@example.com", Encoding.ASCII.GetString(pickup.ToArray()));
        }

        [Fact]
        public void The_zone_file_line_splits_the_record_into_DNS_strings_of_at_most_255_characters()
        {
            var settings = DkimSettings.FromSecret("Example.COM", "s1", Secure(RsaPem), MailEngine.Instance);

            var strings = System.Text.RegularExpressions.Regex.Matches(settings.ZoneFileLine, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();

            Assert.Equal("s1._domainkey.example.com", settings.RecordName);
            Assert.True(strings.Length > 1);
            Assert.All(strings, s => Assert.True(s.Length <= 255));
            Assert.Equal(settings.Record, string.Concat(strings));
        }

        [Theory]
        [InlineData("rsa1024", "1024-bit RSA key")]
        [InlineData("ec", "elliptic-curve")]
        [InlineData("public", "holds a public key")]
        [InlineData("none", "holds no PEM block")]
        public void Keys_that_cannot_sign_are_refused(string kind, string expected)
        {
            var pem = kind switch
            {
                "rsa1024" => RSA.Create(1024).ExportPkcs8PrivateKeyPem(),
                "ec" => ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(),
                "public" => RSA.Create(2048).ExportSubjectPublicKeyInfoPem(),
                _ => "not a key",
            };

            var ex = Assert.Throws<InvalidSigningKeyException>(() => DkimKeyReader.Read(pem, "The test key"));

            Assert.Contains(expected, ex.Message);
            Assert.StartsWith("The test key", ex.Message);
        }

        [Fact]
        public void Certificates_are_checked_for_their_use_and_their_dates()
        {
            var now = new DateTime(2030, 1, 1, 12, 0, 0, DateTimeKind.Local);
            var checks = new SmimeCertificates(() => now);
            using var good = Certificate("a@example.com", X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, now.AddDays(-1), now.AddDays(1));
            using var expired = Certificate("a@example.com", X509KeyUsageFlags.DigitalSignature, now.AddDays(-3), now.AddDays(-1));
            using var early = Certificate("a@example.com", X509KeyUsageFlags.KeyEncipherment, now.AddDays(1), now.AddDays(3));
            using var signOnly = Certificate("a@example.com", X509KeyUsageFlags.DigitalSignature, now.AddDays(-1), now.AddDays(1));
            using var publicOnly = X509CertificateLoader.LoadCertificate(good.Export(X509ContentType.Cert));

            checks.RequireSigning(good, "SigningCertificate");
            checks.RequireEncryption(good, "EncryptionCertificate");
            Assert.Contains("expired on 2029-12-31", Assert.Throws<MessageValidationException>(() => checks.RequireSigning(expired, "SigningCertificate")).Message);
            Assert.Contains("is not valid before", Assert.Throws<MessageValidationException>(() => checks.RequireEncryption(early, "EncryptionCertificate")).Message);
            Assert.Contains("does not allow encrypting", Assert.Throws<MessageValidationException>(() => checks.RequireEncryption(signOnly, "EncryptionCertificate")).Message);
            Assert.Contains("has no private key", Assert.Throws<MessageValidationException>(() => checks.RequireSigning(publicOnly, "SigningCertificate")).Message);
        }

        [Fact]
        public void A_certificate_is_for_the_addresses_in_its_alternative_names_and_its_subject()
        {
            using var certificate = Certificate("a@example.com", X509KeyUsageFlags.KeyEncipherment, DateTime.Now.AddDays(-1), DateTime.Now.AddDays(1), "b@example.org");

            var addresses = SmimeSealer.AddressesOf(certificate);

            Assert.True(addresses.SetEquals(new[] { "a@example.com", "b@example.org", "subject@example.net" }));
            Assert.Contains("A@EXAMPLE.COM", addresses);
        }

        private static X509Certificate2 Certificate(string address, X509KeyUsageFlags usage, DateTime notBefore, DateTime notAfter, params string[] moreAddresses)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={address}, E=subject@example.net", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in moreAddresses.Prepend(address))
            {
                names.AddEmailAddress(name);
            }

            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
            return request.CreateSelfSigned(notBefore, notAfter);
        }

        private static System.Security.SecureString Secure(string text)
        {
            var secure = new System.Security.SecureString();
            foreach (var c in text)
            {
                secure.AppendChar(c);
            }

            return secure;
        }
    }

    /// <summary>An IOutgoingMessage the engine did not make: what the engine's sessions and signer must refuse by name.</summary>
    internal sealed class ForeignMessage : IOutgoingMessage
    {
        public string MessageId => "<foreign@example.com>";

        public string Subject => "foreign";

        public System.Collections.Generic.IReadOnlyList<string> To => new[] { "jane@example.com" };

        public string SenderAddress => "ops@example.com";

        public System.Collections.Generic.IReadOnlyList<string> RecipientAddresses => To;

        public void WriteTo(Stream stream) => stream.Write(Encoding.ASCII.GetBytes("Subject: foreign\r\n\r\nbody\r\n"));

        public void WriteForPickup(Stream stream) => WriteTo(stream);

        public string Format(ConsoleFormat format) => Subject;

        public CapturedMessage Capture() => throw new NotSupportedException();

        public IOutgoingMessage ForRecipients(System.Collections.Generic.IReadOnlyList<string> recipients) => this;

        public void Dispose()
        {
        }
    }
}
