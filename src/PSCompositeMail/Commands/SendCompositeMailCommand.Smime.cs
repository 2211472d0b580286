// The S/MIME parameters of Send-CompositeMail, kept apart from the rest of the cmdlet (which is long already)
// so that signing and encryption read as one piece.
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Messages;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Commands
{
    public sealed partial class SendCompositeMailCommand
    {
        private SmimeCertificates? _smimeCertificates;
        private bool _encryptionAskedEarlier;

        /// <summary>Signs the message (detached, multipart/signed) with this certificate and its private key.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNull]
        public X509Certificate2? SigningCertificate { get; set; }

        /// <summary>A PFX (PKCS#12) file with the signing certificate and its private key.</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNullOrEmpty]
        public string? SigningCertificatePath { get; set; }

        [Parameter(ParameterSetName = MessageSet)]
        [ValidateNotNull]
        public SecureString? SigningCertificatePassword { get; set; }

        /// <summary>The signing certificate from the current user's personal store (Cert:\CurrentUser\My).</summary>
        [Parameter(ParameterSetName = MessageSet)]
        [ValidatePattern("^[0-9A-Fa-f: ]{40,}$")]
        public string? SigningCertificateThumbprint { get; set; }

        /// <summary>Recipients' certificates: the message is encrypted (application/pkcs7-mime) for those of its To and Cc, matched by address.</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public X509Certificate2[]? EncryptionCertificate { get; set; }

        /// <summary>The recipients' certificates as PEM or DER files (wildcards allowed).</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? EncryptionCertificatePath { get; set; }

        /// <summary>The certificates this message is signed and encrypted with, loaded and checked; null when it is neither.</summary>
        private SmimeOptions? DescribeSmime()
        {
            var signingSources = new object?[] { SigningCertificate, SigningCertificatePath, SigningCertificateThumbprint }.Count(s => s is not null);
            if (signingSources > 1)
            {
                throw new MessageValidationException(
                    "Give the signing certificate once: -SigningCertificate, -SigningCertificatePath or -SigningCertificateThumbprint.", nameof(SigningCertificate), null);
            }

            if (SigningCertificatePassword is not null && SigningCertificatePath is null)
            {
                throw new MessageValidationException("-SigningCertificatePassword opens the PFX file of -SigningCertificatePath.", nameof(SigningCertificatePassword), null);
            }

            RequireNoEmptyEncryptionValue(EncryptionCertificatePath is { } paths && (paths.Length == 0 || paths.Any(string.IsNullOrWhiteSpace)), nameof(EncryptionCertificatePath));
            RequireNoEmptyEncryptionValue(EncryptionCertificate is { } objects && (objects.Length == 0 || objects.Any(c => c is null)), nameof(EncryptionCertificate));
            var encryptionPaths = _sender!.Paths.Resolve(EncryptionCertificatePath, nameof(EncryptionCertificatePath));
            var encryptionObjects = EncryptionCertificate ?? new X509Certificate2[0];
            var encrypting = encryptionPaths.Count > 0 || encryptionObjects.Length > 0;
            if (!encrypting && _encryptionAskedEarlier)
            {
                // A value given on the command line holds for every message: only a pipeline row can lose it.
                throw new MessageValidationException(
                    "This message has no -EncryptionCertificate or -EncryptionCertificatePath, while earlier messages of this pipeline asked for encryption: " +
                    "its row lacks the column or has it $null. It was refused rather than sent in clear text; send messages meant to go unencrypted with a command of their own.",
                    nameof(EncryptionCertificatePath), null);
            }

            _encryptionAskedEarlier |= encrypting;
            if (signingSources == 0 && !encrypting)
            {
                return null;
            }

            var certificates = _smimeCertificates ??= new SmimeCertificates();
            var signing = SigningCertificate
                ?? (SigningCertificatePath is null ? null : certificates.LoadSigningFile(_sender.Paths.ResolveOne(SigningCertificatePath, nameof(SigningCertificatePath), $"-{nameof(SigningCertificatePath)}"), SigningCertificatePassword, nameof(SigningCertificatePath)))
                ?? (SigningCertificateThumbprint is null ? null : SmimeCertificates.FromStore(SigningCertificateThumbprint, nameof(SigningCertificateThumbprint)));
            if (signing is not null)
            {
                certificates.RequireSigning(signing, nameof(SigningCertificate));
            }

            var encryption = new List<X509Certificate2>(encryptionObjects);
            encryption.AddRange(encryptionPaths.Select(path => certificates.LoadEncryptionFile(path, nameof(EncryptionCertificatePath))));
            // Each certificate is checked only if the message goes to its owner: in a mail merge over a folder of
            // certificates, someone else's expired one must not stop this row.
            return new SmimeOptions
            {
                SigningCertificate = signing,
                EncryptionCertificates = encryption,
                RequireEncryption = certificate => certificates.RequireEncryption(certificate, nameof(EncryptionCertificate)),
                Verbose = _context!.Verbose,
                Warning = _context.Warning,
            };
        }

        /// <summary>
        /// An encryption column given but empty (an empty CSV cell, an empty list, a $null in it) asks for encryption
        /// and names nobody's certificate: that message is refused, never sent in clear text.
        /// </summary>
        private static void RequireNoEmptyEncryptionValue(bool isEmpty, string parameter)
        {
            if (isEmpty)
            {
                throw new MessageValidationException(
                    $"-{parameter} is given but empty for this message (an empty CSV cell?): it would go out in clear text, so nothing was sent. Name the recipients' certificates, or send unencrypted messages with a command of their own.",
                    parameter, null);
            }
        }
    }
}
