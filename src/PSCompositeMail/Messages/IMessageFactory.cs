using System.Collections.Generic;

namespace PSCompositeMail.Messages
{
    /// <summary>What senders and the spool need from the engine: the one message every backend gets, built or loaded.</summary>
    internal interface IMessageFactory
    {
        /// <summary>Validates the parameters and builds the one message every backend gets.</summary>
        IOutgoingMessage Build(MessageSpec spec);

        /// <summary>Loads an .eml file; the envelope comes from its headers unless one is given.</summary>
        IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null);
    }
}
