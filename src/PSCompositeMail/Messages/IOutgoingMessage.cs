using System;
using System.Collections.Generic;
using System.IO;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// A validated message, built once by the engine and handed unchanged to every backend: what backends need
    /// from it, without MimeKit's types, so this assembly stays in PowerShell's load context.
    /// Only the engine implements it: the engine's SMTP and Graph sessions and its DKIM signer need the MIME message
    /// behind it, and refuse any other implementation as the bug it is (an InvalidCastException that says so).
    /// </summary>
    internal interface IOutgoingMessage : IDisposable
    {
        string MessageId { get; }

        string Subject { get; }

        IReadOnlyList<string> To { get; }

        /// <summary>MAIL FROM.</summary>
        string SenderAddress { get; }

        /// <summary>Every RCPT TO: To, Cc and Bcc.</summary>
        IReadOnlyList<string> RecipientAddresses { get; }

        /// <summary>Writes the message as it goes on the wire: CRLF line ends, no Bcc header.</summary>
        void WriteTo(Stream stream);

        /// <summary>
        /// Writes the message as a pickup folder keeps it: CRLF line ends and a Bcc header naming every envelope
        /// recipient the To and Cc headers do not, so the file still has its whole envelope when it is sent later.
        /// </summary>
        void WriteForPickup(Stream stream);

        /// <summary>The message for people to read in a console.</summary>
        string Format(ConsoleFormat format);

        /// <summary>An immutable copy for the Memory and ScriptBlock backends.</summary>
        CapturedMessage Capture();

        /// <summary>
        /// The same message for some of its envelope recipients only (those a relay still owes it to); it shares this
        /// message's content, so disposing it leaves this one whole.
        /// </summary>
        IOutgoingMessage ForRecipients(IReadOnlyList<string> recipients);
    }
}
