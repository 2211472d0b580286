using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Mail;
using System.Text;
using MimeKit;
using PSCompositeMail.Engine.Signing;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Engine.Messages
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

            HeaderValueGuard.RejectControlCharacters(spec.Subject, "Subject");
            var messageId = HeaderInputValidator.MessageId(spec.MessageId);
            var headers = HeaderInputValidator.Headers(spec.Headers);
            var encoding = spec.Encoding ?? DefaultEncoding;
            HeaderInputValidator.RequireEncodable(encoding, spec.Subject, "Subject");
            HeaderInputValidator.RequireEncodable(encoding, spec.Body, "Body");
            HeaderInputValidator.RequireEncodable(encoding, spec.HtmlBody, "HtmlBody");

            // Without headers: the parameterless constructor would generate a Message-Id and Date that are replaced below.
            var message = new MimeMessage(Enumerable.Empty<Header>());
            IDisposable? signedText = null;
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
                // -Encoding covers the subject too, as Send-MailMessage's does (its SubjectEncoding).
                message.Headers.Replace(HeaderId.Subject, encoding, spec.Subject ?? string.Empty);
                message.Date = DateTimeOffset.Now;
                message.MessageId = messageId ?? MessageIds.Generate(from.Domain);
                SetPriority(message, spec.Priority);
                foreach (var header in headers)
                {
                    message.Headers.Replace(header.Key, header.Value);
                }

                message.Body = BuildBody(spec, encoding);
                message.Prepare(EncodingConstraint.SevenBit, 998);
                var recipients = to.Concat(cc).Concat(bcc).ToArray();
                if (spec.Smime is { } smime)
                {
                    signedText = SmimeSealer.Seal(message, smime, recipients);
                }

                var rawUtf8 = WireHeaders.Check(message, WireHeaders.RefuseBuilt);
                return new OutgoingMessage(message, sender ?? from, recipients, spec.DeliveryNotification, signedText) { RawUtf8Headers = rawUtf8 };
            }
            catch
            {
                message.Dispose();
                signedText?.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Loads an .eml file to send as it is. The envelope comes from its Sender/From and To/Cc/Bcc headers,
        /// unless one is given (a spooled message keeps its envelope, Bcc included, beside the file); then the
        /// envelope recipients its headers do not name become its Bcc, so every backend sees the whole envelope
        /// (a pickup folder writes them down, the wire never shows them).
        /// </summary>
        public static OutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null)
        {
            // The parts are read from a copy of the file, not parsed into memory: a large attachment stays in a private
            // temporary file, and the file itself (a spool item, say) is free to be moved or deleted while it is sent.
            var source = new ScratchStream();
            MimeMessage message;
            try
            {
                using (var file = OpenRead(path, "Path", "message file"))
                {
                    file.CopyTo(source);
                }

                source.Position = 0;
                message = MimeMessage.Load(source, persistent: true);
            }
            catch (FormatException ex)
            {
                source.Dispose();
                throw new MessageValidationException($"'{path}' is not a MIME message: {ex.Message}", "Path", path, MessageProblem.InvalidValue, ex);
            }
            catch
            {
                source.Dispose();
                throw;
            }

            try
            {
                var rawUtf8 = LoadedMessageRepair.Repair(message, path);
                LoadedHeaderRules.Check(message, path);
                var sender = (string.IsNullOrEmpty(envelopeSender) ? null : AddressParser.ParseOne(envelopeSender!, "Sender"))
                    ?? message.Sender ?? message.From.Mailboxes.FirstOrDefault()
                    ?? throw new MessageValidationException($"The message file '{path}' has no From header.", "Path", path);
                var named = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes).ToArray();
                RequireSendable(named.Prepend(sender), path);
                var recipients = envelopeRecipients is { Count: > 0 }
                    ? AddressParser.ParseList(envelopeRecipients, "To").ToArray()
                    : named;
                var namedAddresses = new HashSet<string>(named.Select(m => m.Address), StringComparer.OrdinalIgnoreCase);
                message.Bcc.AddRange(recipients.Where(r => !namedAddresses.Contains(r.Address)));
                if (recipients.Length == 0)
                {
                    throw new MessageValidationException($"The message file '{path}' has no To, Cc or Bcc recipient.", "Path", path);
                }

                if (string.IsNullOrEmpty(message.MessageId))
                {
                    if (string.IsNullOrEmpty(sender.Domain))
                    {
                        var field = message.Sender is not null ? "Sender" : "From";
                        throw new MessageValidationException(
                            $"The message file '{ControlCharacters.Escape(path)}' has no Message-ID, and its {field} address " +
                                $"'{ControlCharacters.Escape(sender.Address)}' has no domain to make one with: give that address a domain.",
                            "Path",
                            path);
                    }

                    message.MessageId = MessageIds.Generate(sender.Domain);
                }

                if (!message.Headers.Contains(HeaderId.Date))
                {
                    message.Date = DateTimeOffset.Now;
                }

                return new OutgoingMessage(message, sender, recipients, DeliveryNotificationOptions.None, source) { RawUtf8Headers = rawUtf8 };
            }
            catch
            {
                message.Dispose();
                source.Dispose();
                throw;
            }
        }

        /// <summary>The addresses of an .eml file become the envelope: they keep the same rules as -From and -To.</summary>
        private static void RequireSendable(IEnumerable<MailboxAddress> addresses, string path)
        {
            foreach (var address in addresses)
            {
                if (AddressParser.Problem(address) is { } problem)
                {
                    throw new MessageValidationException(
                        $"'{path}' cannot be sent: its address '{ControlCharacters.Escape(address.Address)}' {problem}.", "Path", path);
                }
            }
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

        private static MimeEntity BuildBody(MessageSpec spec, Encoding encoding)
        {
            var body = spec.Body ?? string.Empty;
            var html = spec.HtmlBody ?? (spec.BodyAsHtml ? body : null);
            var inline = spec.InlineAttachments ?? Array.Empty<KeyValuePair<string, string>>();
            var attachments = spec.Attachments ?? Array.Empty<string>();
            var opened = new List<MimeEntity>();
            try
            {
                MimeEntity? htmlPart = html is null ? null : CreateText("html", encoding, html);
                if (htmlPart is not null && inline.Count > 0)
                {
                    var related = new MultipartRelated { htmlPart };
                    foreach (var image in inline)
                    {
                        var part = CreateFilePart(image.Value, "InlineAttachments", ContentDisposition.Inline);
                        opened.Add(part);
                        part.ContentId = HeaderInputValidator.ContentId(image.Key);
                        related.Add(part);
                    }

                    htmlPart = related;
                }
                else if (inline.Count > 0)
                {
                    throw new MessageValidationException(
                        "-InlineAttachments needs an HTML body (-HtmlBody, or -Body with -BodyAsHtml) that refers to them as cid:<id>.",
                        "InlineAttachments", null);
                }

                MimeEntity text = htmlPart is null
                    ? CreateText("plain", encoding, body)
                    : spec.HtmlBody is not null ? new MultipartAlternative { CreateText("plain", encoding, body), htmlPart } : htmlPart;
                if (attachments.Count == 0)
                {
                    return text;
                }

                var mixed = new Multipart("mixed") { text };
                foreach (var path in attachments)
                {
                    var part = CreateFilePart(path, "Attachments", ContentDisposition.Attachment);
                    opened.Add(part);
                    mixed.Add(part);
                }

                return mixed;
            }
            catch
            {
                foreach (var part in opened)
                {
                    part.Dispose();
                }

                throw;
            }
        }

        private static TextPart CreateText(string subtype, Encoding encoding, string content)
        {
            var part = new TextPart(subtype);
            part.SetText(encoding, NormalizeLineEnds(content));
            return part;
        }

        /// <summary>
        /// A lone CR or LF is a line end to some receivers and not to others ("&lt;CR&gt;.&lt;CR&gt;&lt;LF&gt;" is an SMTP
        /// smuggling sequence): each CR, LF or CRLF becomes one line end, which MimeKit writes as CRLF.
        /// </summary>
        private static string NormalizeLineEnds(string text) =>
            text.IndexOf('\r') < 0 ? text : text.Replace("\r\n", "\n").Replace('\r', '\n');

        /// <summary>
        /// The attachment's type from its name, but never a message/* type: those may not be base64-encoded (RFC 2046
        /// 5.2.1) and mail readers then show them wrongly; an attached .eml goes as a file, as Send-MailMessage sends it.
        /// </summary>
        private static string AttachmentType(string fileName)
        {
            var type = MimeTypes.GetMimeType(fileName);
            return type.StartsWith("message/", StringComparison.OrdinalIgnoreCase) ? "application/octet-stream" : type;
        }

        /// <summary>A part whose content streams from the file when the message is written, so large files never sit in memory.</summary>
        private static MimePart CreateFilePart(string path, string parameter, string disposition)
        {
            var fileName = Path.GetFileName(path);
            HeaderValueGuard.RejectUnsafeFileName(fileName, parameter);
            var content = OpenRead(path, parameter, "attachment");
            var part = new MimePart(AttachmentType(fileName))
            {
                Content = new MimeContent(content),
                ContentDisposition = new ContentDisposition(disposition),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = fileName,
            };
            return part;
        }

        /// <summary>Opens a file the message needs; a missing or unreadable one is invalid input for that message.</summary>
        private static FileStream OpenRead(string path, string parameter, string what)
        {
            if (RegularFile.WhyNot(path) is { } kind)
            {
                throw new MessageValidationException($"The {what} '{path}' is {kind}, not a regular file; it was not opened.", parameter, path,
                    MessageProblem.NotReadable);
            }

            try
            {
                return File.OpenRead(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new MessageValidationException($"The {what} '{path}' was not found.", parameter, path, MessageProblem.NotFound, ex);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                throw new MessageValidationException($"The {what} '{path}' cannot be read: {ex.Message}", parameter, path, MessageProblem.NotReadable,
                    ex);
            }
        }
    }
}
