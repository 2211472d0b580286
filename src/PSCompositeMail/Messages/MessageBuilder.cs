using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Mail;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace PSCompositeMail.Messages
{
    /// <summary>Validates a <see cref="MessageSpec"/> and builds the one MIME message every backend gets.</summary>
    internal static class MessageBuilder
    {
        private static readonly Encoding DefaultEncoding = new UTF8Encoding(false);

        public static OutgoingMessage Build(MessageSpec spec)
        {
            if (string.IsNullOrWhiteSpace(spec.From))
            {
                throw new MessageValidationException("The message has no sender: give -From.", "From", spec.From);
            }

            var from = AddressParser.ParseOne(spec.From!, "From");
            var sender = string.IsNullOrWhiteSpace(spec.Sender) ? null : AddressParser.ParseOne(spec.Sender!, "Sender");
            var to = AddressParser.ParseList(spec.To, "To");
            var cc = AddressParser.ParseList(spec.Cc, "Cc");
            var bcc = AddressParser.ParseList(spec.Bcc, "Bcc");
            var replyTo = AddressParser.ParseList(spec.ReplyTo, "ReplyTo");
            if (to.Count + cc.Count + bcc.Count == 0)
            {
                throw new MessageValidationException("The message has no recipient: give -To, -Cc or -Bcc.", "To", null);
            }

            HeaderValueGuard.RejectLineBreaks(spec.Subject, "Subject");
            HeaderValueGuard.RejectLineBreaks(spec.MessageId, "MessageId");
            var headers = ValidateHeaders(spec.Headers);

            var message = new MimeMessage();
            try
            {
                message.From.Add(from);
                if (sender is not null)
                {
                    message.Sender = sender;
                }

                message.To.AddRange(to);
                message.Cc.AddRange(cc);
                message.Bcc.AddRange(bcc);
                message.ReplyTo.AddRange(replyTo);
                message.Subject = spec.Subject ?? string.Empty;
                message.Date = DateTimeOffset.Now;
                message.MessageId = string.IsNullOrWhiteSpace(spec.MessageId)
                    ? MimeUtils.GenerateMessageId(from.Domain)
                    : spec.MessageId!.Trim().Trim('<', '>');
                SetPriority(message, spec.Priority);
                foreach (var header in headers)
                {
                    message.Headers.Replace(header.Key, header.Value);
                }

                message.Body = BuildBody(spec);
                message.Prepare(EncodingConstraint.SevenBit, 998);
                var recipients = to.Concat(cc).Concat(bcc).ToArray();
                return new OutgoingMessage(message, sender ?? from, recipients, spec.DeliveryNotification);
            }
            catch
            {
                message.Dispose();
                throw;
            }
        }

        private static List<KeyValuePair<string, string>> ValidateHeaders(IDictionary? headers)
        {
            var valid = new List<KeyValuePair<string, string>>();
            if (headers is null)
            {
                return valid;
            }

            foreach (DictionaryEntry entry in headers)
            {
                var name = entry.Key?.ToString() ?? string.Empty;
                if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
                {
                    throw new MessageValidationException(
                        $"'{name}' is not a valid header name for -Headers: use printable ASCII without spaces or ':'.", "Headers", name);
                }

                var value = entry.Value?.ToString() ?? string.Empty;
                HeaderValueGuard.RejectLineBreaks(value, $"Headers['{name}']");
                valid.Add(new KeyValuePair<string, string>(name, value));
            }

            return valid;
        }

        private static void SetPriority(MimeMessage message, MailPriority priority)
        {
            switch (priority)
            {
                case MailPriority.High:
                    message.Priority = MessagePriority.Urgent;
                    message.Importance = MessageImportance.High;
                    message.XPriority = XMessagePriority.Highest;
                    break;
                case MailPriority.Low:
                    message.Priority = MessagePriority.NonUrgent;
                    message.Importance = MessageImportance.Low;
                    message.XPriority = XMessagePriority.Lowest;
                    break;
            }
        }

        private static MimeEntity BuildBody(MessageSpec spec)
        {
            var encoding = spec.Encoding ?? DefaultEncoding;
            var body = spec.Body ?? string.Empty;
            MimeEntity text;
            if (spec.HtmlBody is not null)
            {
                text = new MultipartAlternative { CreateText("plain", encoding, body), CreateText("html", encoding, spec.HtmlBody) };
            }
            else
            {
                text = CreateText(spec.BodyAsHtml ? "html" : "plain", encoding, body);
            }

            var attachments = spec.Attachments ?? Array.Empty<string>();
            if (attachments.Count == 0)
            {
                return text;
            }

            var mixed = new Multipart("mixed") { text };
            try
            {
                foreach (var path in attachments)
                {
                    mixed.Add(CreateAttachment(path));
                }
            }
            catch
            {
                mixed.Dispose();
                throw;
            }

            return mixed;
        }

        private static TextPart CreateText(string subtype, Encoding encoding, string content)
        {
            var part = new TextPart(subtype);
            part.SetText(encoding, content);
            return part;
        }

        private static MimePart CreateAttachment(string path)
        {
            var fileName = Path.GetFileName(path);
            HeaderValueGuard.RejectLineBreaks(fileName, "Attachments");
            Stream content;
            try
            {
                content = File.OpenRead(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MessageValidationException($"The attachment '{path}' was not found.", "Attachments", path, MessageProblem.NotFound, ex);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                throw new MessageValidationException($"The attachment '{path}' cannot be read: {ex.Message}", "Attachments", path, MessageProblem.NotReadable, ex);
            }

            var part = new MimePart(MimeTypes.GetMimeType(fileName))
            {
                Content = new MimeContent(content),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = fileName,
            };
            return part;
        }
    }
}
