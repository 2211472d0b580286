namespace PSCompositeMail.Signing
{
    /// <summary>What DKIM settings need from the engine: a key read and checked, once, when the backend is made.</summary>
    internal interface IDkimSignerFactory
    {
        /// <summary>Reads and checks a DKIM private key (PEM text); a key that cannot sign is an InvalidSigningKeyException.</summary>
        IDkimSigner CreateDkimSigner(string domain, string selector, string privateKeyPem, string keySource);
    }
}
