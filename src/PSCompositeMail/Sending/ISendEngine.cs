using System;
using System.Management.Automation;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// What <see cref="MailSender"/> needs from the engine: the message, and the category of an error only the engine's
    /// libraries raise.
    /// </summary>
    internal interface ISendEngine : IMessageFactory
    {
        /// <summary>The ErrorCategory of an exception from the engine's own libraries (MailKit's); null for any other exception.</summary>
        ErrorCategory? CategoryOfLibraryError(Exception exception);
    }
}
