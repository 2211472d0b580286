using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Mail;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>A validated message, built once, handed unchanged to every backend.</summary>
    internal sealed class OutgoingMessage : IOutgoingMessage
    {
        private IReadOnlyList<string>? _recipientAddresses;
        private readonly bool _ownsMime;
        private readonly IDisposable? _backing;

        /// <summary>
        /// The engine's own message behind the seam's <see cref="IOutgoingMessage"/>: SMTP, Graph and DKIM need its
        /// MimeMessage, so they take only messages the engine built or loaded (IMessageFactory). Any other
        /// implementation reaching them is a bug in the caller, and propagates as one (InvalidCastException).
        /// </summary>
        public static OutgoingMessage Of(IOutgoingMessage message) => message as OutgoingMessage ?? throw new InvalidCastException(
            $"The engine sends and signs only messages it built or loaded itself (IMessageFactory), not a {message.GetType().FullName}.");

        /// <param name="backing">What the MIME's parts are read from, if anything beyond the parts themselves (the temporary copy a message was
        /// parsed from): disposed with the message.</param>
        public OutgoingMessage(MimeMessage mime, MailboxAddress envelopeSender, IReadOnlyList<MailboxAddress> recipients,
            DeliveryNotificationOptions deliveryNotification, IDisposable? backing = null)
            : this(mime, envelopeSender, recipients, deliveryNotification, ownsMime: true)
        {
            _backing = backing;
        }

        private OutgoingMessage(MimeMessage mime, MailboxAddress envelopeSender, IReadOnlyList<MailboxAddress> recipients,
            DeliveryNotificationOptions deliveryNotification, bool ownsMime)
        {
            _ownsMime = ownsMime;
            Mime = mime;
            EnvelopeSender = envelopeSender;
            Recipients = recipients;
            DeliveryNotification = deliveryNotification;
            To = mime.To.Mailboxes.Select(m => m.Address).ToArray();
        }

        public MimeMessage Mime { get; }

        public MailboxAddress EnvelopeSender { get; }

        /// <summary>Every envelope recipient: To, Cc and Bcc.</summary>
        public IReadOnlyList<MailboxAddress> Recipients { get; }

        public DeliveryNotificationOptions DeliveryNotification { get; }

        /// <summary>A header holds raw UTF-8 (a non-ASCII local part, say): only a server offering SMTPUTF8 may receive it, declared.</summary>
        public bool RawUtf8Headers { get; set; }

        public string MessageId => Mime.MessageId ?? string.Empty;

        public string Subject => Mime.Subject ?? string.Empty;

        public IReadOnlyList<string> To { get; }

        public string SenderAddress => EnvelopeSender.Address;

        public IReadOnlyList<string> RecipientAddresses => _recipientAddresses ??= Recipients.Select(r => r.Address).ToArray();

        public void WriteTo(System.IO.Stream stream) => MimeText.WriteTo(Mime, stream);

        public string Format(ConsoleFormat format) => MessageFormatter.Format(this, format);

        public CapturedMessage Capture()
        {
            // Read-only wrappers, not arrays: PowerShell can assign into an array element, and the copy must not change.
            IReadOnlyList<T> Fixed<T>(IEnumerable<T> items) => Array.AsReadOnly(items.ToArray());
            IReadOnlyList<string> Addresses(InternetAddressList list) => Fixed(list.Mailboxes.Select(m => m.Address));
            return new CapturedMessage(MimeCopy.Write(WriteTo))
            {
                MessageId = MessageId,
                Subject = Subject,
                From = Mime.From.ToString(),
                Sender = SenderAddress,
                To = Addresses(Mime.To),
                Cc = Addresses(Mime.Cc),
                Bcc = Addresses(Mime.Bcc),
                ReplyTo = Addresses(Mime.ReplyTo),
                Recipients = Fixed(RecipientAddresses),
                Date = Mime.Date,
                TextBody = Mime.TextBody,
                HtmlBody = Mime.HtmlBody,
                Attachments = Fixed(Mime.Attachments.Select(a => a.ContentDisposition?.FileName ?? a.ContentType.Name ?? string.Empty)),
                Headers = Fixed(Mime.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value))),
            };
        }

        /// <summary>Every envelope recipient is in To, Cc or Bcc (see <see cref="MessageBuilder.Load"/>), so the headers carry the whole
        /// envelope.</summary>
        public void WriteForPickup(System.IO.Stream stream) => MimeText.WriteForPickup(Mime, stream);

        public IOutgoingMessage ForRecipients(IReadOnlyList<string> recipients)
        {
            var wanted = new HashSet<string>(recipients, StringComparer.OrdinalIgnoreCase);
            return new OutgoingMessage(Mime, EnvelopeSender, Recipients.Where(r => wanted.Contains(r.Address)).ToArray(), DeliveryNotification,
                ownsMime: false);
        }

        public void Dispose()
        {
            if (_ownsMime)
            {
                Mime.Dispose();
                _backing?.Dispose();
            }
        }
    }
}
