using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Reports;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// Turns the parameters a message was given into the <see cref="MessageSpec"/> it is built from: files resolved,
    /// certificates loaded and checked. One per Send-CompositeMail call: it remembers whether earlier messages asked
    /// for encryption, and keeps the certificates it loaded.
    /// </summary>
    internal sealed class MessageDescriber
    {
        private readonly MessagePaths _paths;
        private readonly DeliveryContext _context;
        private SmimeCertificates? _smimeCertificates;
        private bool _encryptionAskedEarlier;

        public MessageDescriber(MessagePaths paths, DeliveryContext context)
        {
            _paths = paths;
            _context = context;
        }

        /// <param name="pipedAttachments">Files piped in: only the command line's one message carries them.</param>
        /// <exception cref="MessageValidationException">A value that makes no message: this one is refused.</exception>
        public MessageSpec Describe(GivenMessage given, IEnumerable<string> pipedAttachments)
        {
            var spec = given.Spec.Copy();
            var report = MailBodyCarrier.Find(spec.Body);
            if (report is not null && spec.HtmlBody is not null)
            {
                throw new MessageValidationException(
                    "-Body is a report from ConvertTo-MailHtml, which brings its own HTML: -HtmlBody contradicts it. Give one of them.",
                        nameof(spec.HtmlBody), null);
            }

            spec.HtmlBody = report?.Html ?? spec.HtmlBody;
            spec.ReportDescription = report?.Describe();
            spec.Attachments = _paths.Resolve((given.Attachments ?? Array.Empty<string>()).Concat(pipedAttachments), nameof(given.Attachments));
            spec.InlineAttachments = _paths.ResolveInline(given.InlineAttachments, nameof(given.InlineAttachments));
            spec.Smime = DescribeSmime(given);
            return spec;
        }

        /// <summary>The certificates this message is signed and encrypted with, loaded and checked; null when it is neither.</summary>
        private SmimeOptions? DescribeSmime(GivenMessage given)
        {
            var signingSources = new object?[] { given.SigningCertificate, given.SigningCertificatePath, given.SigningCertificateThumbprint }
                .Count(s => s is not null);
            if (signingSources > 1)
            {
                throw new MessageValidationException(
                    "Give the signing certificate once: -SigningCertificate, -SigningCertificatePath or -SigningCertificateThumbprint.",
                        nameof(given.SigningCertificate), null);
            }

            if (given.SigningCertificatePassword is not null && given.SigningCertificatePath is null)
            {
                throw new MessageValidationException("-SigningCertificatePassword opens the PFX file of -SigningCertificatePath.",
                    nameof(given.SigningCertificatePassword), null);
            }

            RequireNoEmptyEncryptionValue(
                given.EncryptionCertificatePath is { } paths && (paths.Length == 0 || paths.Any(string.IsNullOrWhiteSpace)),
                nameof(given.EncryptionCertificatePath));
            RequireNoEmptyEncryptionValue(
                given.EncryptionCertificate is { } objects && (objects.Length == 0 || objects.Any(c => c is null)),
                nameof(given.EncryptionCertificate));
            var encryptionPaths = _paths.Resolve(given.EncryptionCertificatePath, nameof(given.EncryptionCertificatePath));
            var encryptionObjects = given.EncryptionCertificate ?? new X509Certificate2[0];
            var encrypting = encryptionPaths.Count > 0 || encryptionObjects.Length > 0;
            if (!encrypting && _encryptionAskedEarlier)
            {
                // A value given on the command line holds for every message: only a pipeline row can lose it.
                throw new MessageValidationException(
                    "This message has no -EncryptionCertificate or -EncryptionCertificatePath, while earlier messages of this pipeline asked for " +
                    "encryption: " +
                    "its row lacks the column or has it $null. It was refused rather than sent in clear text; send messages meant to go " +
                    "unencrypted with a command of their own.",
                    nameof(given.EncryptionCertificatePath), null);
            }

            _encryptionAskedEarlier |= encrypting;
            if (signingSources == 0 && !encrypting)
            {
                return null;
            }

            var certificates = _smimeCertificates ??= new SmimeCertificates();
            var signing = given.SigningCertificate
                ?? (given.SigningCertificatePath is { } signingPath
                    ? certificates.LoadSigningFile(
                        _paths.ResolveOne(signingPath, nameof(given.SigningCertificatePath), $"-{nameof(given.SigningCertificatePath)}"),
                        given.SigningCertificatePassword,
                        nameof(given.SigningCertificatePath))
                    : null)
                ?? (given.SigningCertificateThumbprint is { } thumbprint
                    ? SmimeCertificates.FromStore(thumbprint, nameof(given.SigningCertificateThumbprint))
                    : null);
            if (signing is not null)
            {
                certificates.RequireSigning(signing, nameof(given.SigningCertificate));
            }

            var encryption = new List<X509Certificate2>(encryptionObjects);
            encryption.AddRange(encryptionPaths.Select(path => certificates.LoadEncryptionFile(path, nameof(given.EncryptionCertificatePath))));
            // Each certificate is checked only if the message goes to its owner: in a mail merge over a folder of
            // certificates, someone else's expired one must not stop this row.
            return new SmimeOptions
            {
                SigningCertificate = signing,
                EncryptionCertificates = encryption,
                RequireEncryption = certificate => certificates.RequireEncryption(certificate, nameof(given.EncryptionCertificate)),
                Verbose = _context.Verbose,
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
                    $"-{parameter} is given but empty for this message (an empty CSV cell?): it would go out in clear text, so nothing was sent. " +
                        "Name the recipients' certificates, or send unencrypted messages with a command of their own.",
                    parameter, null);
            }
        }
    }
}
