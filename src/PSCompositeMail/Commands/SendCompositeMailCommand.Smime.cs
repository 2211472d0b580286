// The S/MIME parameters of Send-CompositeMail, kept apart from the rest of the cmdlet (which is long already)
// so that signing and encryption read as one piece; MessageDescriber loads and checks their certificates.
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace PSCompositeMail.Commands
{
    public sealed partial class SendCompositeMailCommand
    {
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

        /// <summary>Recipients' certificates: the message is encrypted (application/pkcs7-mime) for those of its To and Cc, matched by
        /// address.</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public X509Certificate2[]? EncryptionCertificate { get; set; }

        /// <summary>The recipients' certificates as PEM or DER files (wildcards allowed).</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? EncryptionCertificatePath { get; set; }
    }
}
