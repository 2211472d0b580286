using System.Collections;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// A message's parameters as Send-CompositeMail was given them (on the command line, or by a pipeline row): the
    /// plain values in a <see cref="MessageSpec"/>, the files and certificates still as named. Reading it copies the
    /// values once, so the command line's message is kept while pipeline rows bind over the same parameters.
    /// </summary>
    internal sealed class GivenMessage
    {
        /// <summary>Everything but attachments, inline images and S/MIME, which are left unset here.</summary>
        public MessageSpec Spec { get; set; } = new MessageSpec();

        /// <summary>PowerShell paths, not yet resolved.</summary>
        public string[]? Attachments { get; set; }

        /// <summary>Content id → PowerShell path, not yet resolved.</summary>
        public Hashtable? InlineAttachments { get; set; }

        public X509Certificate2? SigningCertificate { get; set; }

        public string? SigningCertificatePath { get; set; }

        public SecureString? SigningCertificatePassword { get; set; }

        public string? SigningCertificateThumbprint { get; set; }

        public X509Certificate2[]? EncryptionCertificate { get; set; }

        public string[]? EncryptionCertificatePath { get; set; }
    }
}
