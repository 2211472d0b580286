using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Signing
{
    /// <summary>
    /// How a sending backend (SMTP, Directory) signs with DKIM: the domain, the selector and a key that was read and
    /// checked when the backend was made. Also tells the DNS TXT record receivers look the public key up in.
    /// </summary>
    public sealed class DkimSettings
    {
        // A DNS TXT record is made of strings of at most 255 bytes; zone files take several in parentheses.
        private const int TxtStringLength = 255;

        private DkimSettings(string domain, string selector, IDkimSigner signer)
        {
            Domain = domain;
            Selector = selector;
            Signer = signer;
        }

        /// <summary>The d= tag: the domain that vouches for the message (its From domain, for DMARC).</summary>
        public string Domain { get; }

        /// <summary>The s= tag: which of the domain's keys signed.</summary>
        public string Selector { get; }

        /// <summary>rsa-sha256 or ed25519-sha256, from the key.</summary>
        public string Algorithm => Signer.Algorithm;

        public int KeyBits => Signer.KeyBits;

        /// <summary>Where receivers look the public key up: selector._domainkey.domain.</summary>
        public string RecordName => $"{Selector}._domainkey.{Domain}";

        /// <summary>The TXT record's text: v=DKIM1; k=...; p=...</summary>
        public string Record => Signer.Record;

        /// <summary>The record as a zone file line, split into strings DNS servers accept.</summary>
        public string ZoneFileLine
        {
            get
            {
                var record = Record;
                var strings = Enumerable.Range(0, (record.Length + TxtStringLength - 1) / TxtStringLength)
                    .Select(i => "\"" + record.Substring(i * TxtStringLength, Math.Min(TxtStringLength, record.Length - (i * TxtStringLength)))
                        + "\"");
                return $"{RecordName}. IN TXT ( {string.Join(" ", strings)} )";
            }
        }

        internal IDkimSigner Signer { get; }

        public override string ToString() => ZoneFileLine;

        /// <summary>The key from a PEM file (-DkimPrivateKeyPath, a profile's DkimPrivateKeyPath).</summary>
        internal static DkimSettings FromFile(string? domain, string? selector, string path, IDkimSignerFactory signers)
        {
            string pem;
            try
            {
                Platform.RegularFile.Ensure(path, "The DKIM private key file");
                pem = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new InvalidSigningKeyException($"The DKIM private key file '{path}' was not found.", "DkimPrivateKeyPath", ex,
                    MessageProblem.NotFound);
            }
            catch (Platform.NotARegularFileException ex)
            {
                throw new InvalidSigningKeyException(ex.Message, "DkimPrivateKeyPath", ex, MessageProblem.NotReadable);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                throw new InvalidSigningKeyException($"The DKIM private key file '{path}' cannot be read: {ex.Message}", "DkimPrivateKeyPath", ex,
                    MessageProblem.NotReadable);
            }

            return Create(domain, selector, pem, $"The DKIM private key file '{path}'", signers);
        }

        /// <summary>The key's PEM text as a SecureString (-DkimPrivateKey from a secret vault, or a profile's DkimPrivateKeyEnv).</summary>
        internal static DkimSettings FromSecret(string? domain, string? selector, SecureString privateKeyPem, IDkimSignerFactory signers) =>
            Create(domain, selector, new NetworkCredential(string.Empty, privateKeyPem).Password, "The DKIM private key text", signers);

        /// <summary>Checks the names and reads the key; anything wrong is an <see cref="InvalidSigningKeyException"/>.</summary>
        /// <param name="keySource">Where the PEM text came from, for the error message (a file, an environment variable).</param>
        private static DkimSettings Create(string? domain, string? selector, string? privateKeyPem, string keySource, IDkimSignerFactory signers)
        {
            var asciiDomain = RequireDnsName(domain, "DkimDomain");
            var asciiSelector = RequireDnsName(selector, "DkimSelector");
            if (string.IsNullOrWhiteSpace(privateKeyPem))
            {
                throw new InvalidSigningKeyException($"{keySource} is empty or not set: it must hold the DKIM private key as PEM.",
                    "DkimPrivateKeyPath");
            }

            return new DkimSettings(asciiDomain, asciiSelector, signers.CreateDkimSigner(asciiDomain, asciiSelector, privateKeyPem!, keySource));
        }

        /// <summary>An internationalized domain goes into the signature and DNS as punycode; a selector may hold several labels (RFC 6376
        /// 3.1).</summary>
        private static string RequireDnsName(string? value, string parameter) =>
            DnsName.ToAscii(value) ?? throw new InvalidSigningKeyException(
                $"-{parameter} '{value}' is not a DNS name: use letters, digits, hyphens and dots (for example 'example.com', 'mail2026').",
                    parameter);
    }
}
