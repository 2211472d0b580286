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

        /// <summary>Encrypts (application/pkcs7-mime) for these; every recipient, Bcc included, needs one.</summary>
        public IReadOnlyList<X509Certificate2> EncryptionCertificates { get; set; } = Array.Empty<X509Certificate2>();
    }
}
