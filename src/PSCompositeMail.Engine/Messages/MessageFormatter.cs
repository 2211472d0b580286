using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// Renders a message for people to read: decoded headers, the body, attachments by name and size. Control
    /// characters are shown escaped (\x1B), wherever they are: a message must not drive the terminal it is shown on.
    /// </summary>
    internal static class MessageFormatter
    {
        public static string Format(OutgoingMessage message, ConsoleFormat format) =>
            format == ConsoleFormat.Summary ? Summary(message) : Full(message);

        private static string Summary(OutgoingMessage message) =>
            ControlCharacters.Escape(string.Format(
                CultureInfo.InvariantCulture,
                "Mail {0:u} {1} -> {2}: {3} <{4}>",
                message.Mime.Date.ToUniversalTime(),
                message.EnvelopeSender.Address,
                string.Join(", ", message.Recipients.Select(r => r.Address)),
                message.Subject,
                message.MessageId));

        private static string Full(OutgoingMessage message)
        {
            var mime = message.Mime;
            var text = new StringBuilder();
            void Line(string name, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    text.Append(ControlCharacters.Escape(name)).Append(": ").Append(ControlCharacters.Escape(value)).Append('\n');
                }
            }

            text.Append("----- message -----\n");
            Line("Date", mime.Date.ToString("r", CultureInfo.InvariantCulture));
            Line("From", mime.From.ToString());
            Line("Sender", mime.Sender?.ToString());
            Line("To", mime.To.ToString());
            Line("Cc", mime.Cc.ToString());
            Line("Bcc", mime.Bcc.ToString());
            Line("Reply-To", mime.ReplyTo.ToString());
            Line("Subject", mime.Subject);
            Line("Message-ID", "<" + message.MessageId + ">");
            foreach (var header in mime.Headers.Where(h => h.Field.StartsWith("X-", StringComparison.OrdinalIgnoreCase)))
            {
                Line(header.Field, header.Value);
            }

            text.Append('\n');
            var body = mime.TextBody ?? mime.HtmlBody ?? string.Empty;
            text.Append(ControlCharacters.Escape(body.Replace("\r\n", "\n").TrimEnd('\n'), keepLineFeeds: true)).Append('\n');
            foreach (var attachment in mime.Attachments.OfType<MimePart>())
            {
                text.Append("Attachment: ")
                    .Append(ControlCharacters.Escape(attachment.FileName))
                    .Append(" (")
                    .Append(ControlCharacters.Escape(attachment.ContentType.MimeType))
                    .Append(", ")
                    .Append(SizeOf(attachment).ToString("N0", CultureInfo.InvariantCulture))
                    .Append(" bytes)\n");
            }

            text.Append("----- end of message -----");
            return text.ToString();
        }

        private static long SizeOf(MimePart part)
        {
            if (part.Content?.Stream is FileStream file)
            {
                return file.Length;
            }

            using var measure = new MimeKit.IO.MeasuringStream();
            part.Content?.DecodeTo(measure);
            return measure.Length;
        }
    }
}
