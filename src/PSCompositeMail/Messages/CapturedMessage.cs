using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// An immutable copy of a message as a backend received it (the Memory backend keeps these; a
    /// ScriptBlock backend is called with one). <see cref="ToString"/> gives the whole MIME text.
    /// </summary>
    public sealed class CapturedMessage
    {
        private readonly string _mimeText;

        private CapturedMessage(OutgoingMessage message)
        {
            var mime = message.Mime;
            MessageId = message.MessageId;
            Subject = message.Subject;
            From = mime.From.ToString();
            Sender = message.EnvelopeSender.Address;
            To = Addresses(mime.To);
            Cc = Addresses(mime.Cc);
            Bcc = Addresses(mime.Bcc);
            ReplyTo = Addresses(mime.ReplyTo);
            Recipients = message.Recipients.Select(r => r.Address).ToArray();
            Date = mime.Date;
            TextBody = mime.TextBody;
            HtmlBody = mime.HtmlBody;
            Attachments = mime.Attachments.Select(a => a.ContentDisposition?.FileName ?? a.ContentType.Name ?? string.Empty).ToArray();
            Headers = mime.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value)).ToArray();
            _mimeText = MimeText.ToText(mime);
        }

        internal static CapturedMessage Capture(OutgoingMessage message) => new CapturedMessage(message);

        public string MessageId { get; }

        public string Subject { get; }

        /// <summary>The From header, decoded.</summary>
        public string From { get; }

        /// <summary>The envelope sender (MAIL FROM).</summary>
        public string Sender { get; }

        public IReadOnlyList<string> To { get; }

        public IReadOnlyList<string> Cc { get; }

        public IReadOnlyList<string> Bcc { get; }

        public IReadOnlyList<string> ReplyTo { get; }

        /// <summary>Every envelope recipient (RCPT TO), Bcc included.</summary>
        public IReadOnlyList<string> Recipients { get; }

        public DateTimeOffset Date { get; }

        public string? TextBody { get; }

        public string? HtmlBody { get; }

        public IReadOnlyList<string> Attachments { get; }

        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

        /// <summary>The whole message as it would go on the wire (CRLF, no Bcc header).</summary>
        public override string ToString() => _mimeText;

        private static IReadOnlyList<string> Addresses(InternetAddressList list) => list.Mailboxes.Select(m => m.Address).ToArray();
    }
}
