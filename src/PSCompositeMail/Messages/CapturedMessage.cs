using System;
using System.Collections.Generic;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// An immutable copy of a message as a backend received it (the Memory backend keeps these; a
    /// ScriptBlock backend is called with one). <see cref="ToString"/> gives the whole MIME text, read only when
    /// asked for, so a large attachment is not held in memory.
    /// </summary>
    public sealed class CapturedMessage
    {
        private readonly MimeCopy _mime;

        /// <summary>Made by the engine, which reads the MIME message.</summary>
        internal CapturedMessage(MimeCopy mime)
        {
            _mime = mime;
        }

        public string MessageId { get; internal set; } = string.Empty;

        public string Subject { get; internal set; } = string.Empty;

        /// <summary>The From header, decoded.</summary>
        public string From { get; internal set; } = string.Empty;

        /// <summary>The envelope sender (MAIL FROM).</summary>
        public string Sender { get; internal set; } = string.Empty;

        public IReadOnlyList<string> To { get; internal set; } = Array.Empty<string>();

        public IReadOnlyList<string> Cc { get; internal set; } = Array.Empty<string>();

        public IReadOnlyList<string> Bcc { get; internal set; } = Array.Empty<string>();

        public IReadOnlyList<string> ReplyTo { get; internal set; } = Array.Empty<string>();

        /// <summary>Every envelope recipient (RCPT TO), Bcc included.</summary>
        public IReadOnlyList<string> Recipients { get; internal set; } = Array.Empty<string>();

        public DateTimeOffset Date { get; internal set; }

        public string? TextBody { get; internal set; }

        public string? HtmlBody { get; internal set; }

        public IReadOnlyList<string> Attachments { get; internal set; } = Array.Empty<string>();

        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; internal set; } = Array.Empty<KeyValuePair<string, string>>();

        /// <summary>The whole message as it would go on the wire (CRLF, no Bcc header).</summary>
        public override string ToString() => _mime.ReadText();

        /// <summary>Frees the copy's MIME text (a temporary file when it is large); ToString fails afterwards.</summary>
        internal void Release() => _mime.Dispose();
    }
}
