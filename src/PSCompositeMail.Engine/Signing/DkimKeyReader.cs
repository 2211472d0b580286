using System;
using System.IO;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.X509;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Engine.Signing
{
    /// <summary>Reads a DKIM private key from PEM and refuses any key receivers would not accept.</summary>
    internal static class DkimKeyReader
    {
        /// <summary>RFC 8301: verifiers may refuse RSA keys under 1024 bits and large providers refuse under 2048.</summary>
        public const int MinimumRsaBits = PSCompositeMail.Signing.SmimeCertificates.MinimumRsaBits;

        private const string Parameter = "DkimPrivateKeyPath";

        public static AsymmetricKeyParameter Read(string pem, string keySource)
        {
            object? content;
            try
            {
                using var reader = new PemReader(new StringReader(pem));
                content = reader.ReadObject();
            }
            catch (Exception ex) when (ex is IOException or FormatException or ArgumentException or InvalidCastException)
            {
                // BouncyCastle reports an encrypted key without a password, or a damaged one, as one of these.
                throw new InvalidSigningKeyException(
                    $"{keySource} holds no readable PEM private key ({ex.Message}). Use an unencrypted PEM key that 'openssl pkey -check -noout " +
                    "-in <file>' accepts.", Parameter, ex);
            }

            var key = content switch
            {
                AsymmetricCipherKeyPair pair => pair.Private,
                AsymmetricKeyParameter single => single,
                null => throw new InvalidSigningKeyException(
                    $"{keySource} holds no PEM block: it must hold the DKIM private key as PEM ('-----BEGIN PRIVATE KEY-----').", Parameter),
                X509Certificate => throw new InvalidSigningKeyException($"{keySource} holds a certificate, not the DKIM private key.", Parameter),
                _ => throw new InvalidSigningKeyException($"{keySource} holds a {content.GetType().Name}, not a DKIM private key.", Parameter),
            };
            if (!key.IsPrivate)
            {
                throw new InvalidSigningKeyException(
                    $"{keySource} holds a public key; DKIM signs with the private key (the public one goes into DNS).", Parameter);
            }

            switch (key)
            {
                case RsaPrivateCrtKeyParameters rsa when rsa.Modulus.BitLength < MinimumRsaBits:
                    throw new InvalidSigningKeyException(
                        $"{keySource} holds a {rsa.Modulus.BitLength}-bit RSA key; DKIM needs {MinimumRsaBits} bits or more (receivers refuse " +
                        "shorter keys). " +
                        "Make one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", Parameter);
                case RsaPrivateCrtKeyParameters rsa:
                    ProveRsa(rsa, keySource);
                    return key;
                case Ed25519PrivateKeyParameters:
                    // An Ed25519 private key is a seed its public key is derived from: it cannot disagree with itself.
                    return key;
                default:
                    throw new InvalidSigningKeyException(
                        $"{keySource} holds a {Describe(key)} key; DKIM signs with RSA (rsa-sha256, {MinimumRsaBits} bits or more) or Ed25519 " +
                            "(ed25519-sha256).", Parameter);
            }
        }

        /// <summary>
        /// PEM holds the RSA public part beside the private one, and nothing makes them agree: a wrong exponent, a
        /// changed modulus bit or a damaged CRT value would publish a record no signature matches, or fail every send.
        /// Signing a test value and verifying it with the public part the DNS record is made from proves both.
        /// </summary>
        private static void ProveRsa(RsaPrivateCrtKeyParameters rsa, string keySource)
        {
            var probe = System.Text.Encoding.ASCII.GetBytes("PSCompositeMail DKIM key check");
            bool verified;
            try
            {
                var signer = new RsaDigestSigner(new Sha256Digest());
                signer.Init(true, rsa);
                signer.BlockUpdate(probe, 0, probe.Length);
                var signature = signer.GenerateSignature();
                var verifier = new RsaDigestSigner(new Sha256Digest());
                verifier.Init(false, new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent));
                verifier.BlockUpdate(probe, 0, probe.Length);
                verified = verifier.VerifySignature(signature);
            }
            catch (Exception ex) when (ex is CryptoException or ArgumentException or InvalidOperationException)
            {
                // BouncyCastle checks its CRT result against the public key and throws when they disagree.
                verified = false;
            }

            if (!verified || !rsa.P.Multiply(rsa.Q).Equals(rsa.Modulus))
            {
                throw new InvalidSigningKeyException(
                    $"{keySource} holds a damaged RSA key: its private and public parts do not belong together (signatures made with it would not " +
                    "verify against the record it publishes). " +
                    "Check it with 'openssl pkey -check -noout -in <file>' and make a new key with: openssl genpkey -algorithm RSA -pkeyopt " +
                    "rsa_keygen_bits:2048", Parameter);
            }
        }

        private static string Describe(AsymmetricKeyParameter key) => key switch
        {
            ECPrivateKeyParameters => "elliptic-curve (ECDSA)",
            DsaPrivateKeyParameters => "DSA",
            RsaKeyParameters => "RSA key without its public exponent; export it whole (PKCS#1 or PKCS#8) -",
            _ => key.GetType().Name,
        };
    }
}
