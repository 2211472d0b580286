using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// What the cmdlets need from the mail engine (PSCompositeMail.Engine.dll, the only assembly that touches
    /// MailKit and MimeKit). Nothing here mentions their types, so this assembly loads in PowerShell's own
    /// context while the engine and its libraries live in the module's.
    /// </summary>
    internal interface IMailEngine
    {
        /// <summary>Validates the parameters and builds the one message every backend gets.</summary>
        IOutgoingMessage Build(MessageSpec spec);

        /// <summary>Loads an .eml file; the envelope comes from its headers unless one is given.</summary>
        IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null);

        IDeliverySession OpenSession(MailBackend backend, DeliveryContext context);

        /// <summary>Connects, secures, authenticates and quits: the only test that needs MailKit.</summary>
        BackendTestResult TestSmtp(SmtpBackend backend, DeliveryContext context);

        /// <summary>The ErrorCategory a PowerShell user expects for what went wrong.</summary>
        ErrorCategory CategoryOf(Exception? exception);
    }

    /// <summary>A validated message, built once and handed unchanged to every backend.</summary>
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
    }
}
