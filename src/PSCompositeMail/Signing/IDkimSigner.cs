using PSCompositeMail.Messages;

namespace PSCompositeMail.Signing
{
    /// <summary>A DKIM key the engine read and checked; signs a copy of each message, never the message itself.</summary>
    internal interface IDkimSigner
    {
        /// <summary>rsa-sha256 or ed25519-sha256.</summary>
        string Algorithm { get; }

        int KeyBits { get; }

        /// <summary>The DNS TXT record text for the public key: v=DKIM1; k=...; p=...</summary>
        string Record { get; }

        /// <summary>
        /// The message as it will leave, prepared for any transport (7-bit, lines of at most 998 characters), with a
        /// DKIM-Signature header in front; its Bcc header, which the signature never covers, is kept for pickup files.
        /// The given message, one the engine made (see IOutgoingMessage), is shared with other backends and stays as it was.
        /// </summary>
        IOutgoingMessage Sign(IOutgoingMessage message);
    }
}
