using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace PSCompositeMail.Messages
{
    /// <summary>How one message is signed and encrypted with S/MIME; the certificates were loaded and checked for their use.</summary>
    internal sealed class SmimeOptions
    {
        /// <summary>Signs (detached, multipart/signed); has its private key.</summary>
        public X509Certificate2? SigningCertificate { get; set; }

        /// <summary>
        /// The certificates offered for encryption (application/pkcs7-mime): the message is encrypted only for those
        /// naming one of its recipients, and every recipient needs one. A mail merge may offer a whole folder.
        /// </summary>
        public IReadOnlyList<X509Certificate2> EncryptionCertificates { get; set; } = Array.Empty<X509Certificate2>();

        /// <summary>Refuses a certificate that cannot encrypt; run only on those a recipient of the message owns.</summary>
        public Action<X509Certificate2> RequireEncryption { get; set; } = _ => { };

        /// <summary>Says what was left out (certificates of nobody the message goes to), for the verbose stream.</summary>
        public Action<string> Verbose { get; set; } = _ => { };

        /// <summary>What receivers will flag though the message is sent (a signing certificate not for the From address).</summary>
        public Action<string> Warning { get; set; } = _ => { };
    }
}
