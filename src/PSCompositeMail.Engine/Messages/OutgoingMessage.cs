using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Mail;
using MimeKit;
using PSCompositeMail.Hosting;

namespace PSCompositeMail.Messages
{
    /// <summary>A validated message, built once, handed unchanged to every backend.</summary>
    internal sealed class OutgoingMessage : IOutgoingMessage
    {
        public OutgoingMessage(MimeMessage mime, MailboxAddress envelopeSender, IReadOnlyList<MailboxAddress> recipients, DeliveryNotificationOptions deliveryNotification)
        {
            Mime = mime;
            EnvelopeSender = envelopeSender;
            Recipients = recipients;
            DeliveryNotification = deliveryNotification;
            To = mime.To.Mailboxes.Select(m => m.Address).ToArray();
        }

        private IReadOnlyList<string>? _recipientAddresses;

        public MimeMessage Mime { get; }

        public MailboxAddress EnvelopeSender { get; }

        /// <summary>Every envelope recipient: To, Cc and Bcc.</summary>
        public IReadOnlyList<MailboxAddress> Recipients { get; }

        public DeliveryNotificationOptions DeliveryNotification { get; }

        public string MessageId => Mime.MessageId ?? string.Empty;

        public string Subject => Mime.Subject ?? string.Empty;

        public IReadOnlyList<string> To { get; }

        public IEnumerable<MailboxAddress> Bcc => Mime.Bcc.Mailboxes;

        public string SenderAddress => EnvelopeSender.Address;

        public IReadOnlyList<string> RecipientAddresses => _recipientAddresses ??= Recipients.Select(r => r.Address).ToArray();

        public void WriteTo(System.IO.Stream stream) => MimeText.WriteTo(Mime, stream);

        public void Dispose() => Mime.Dispose();
    }
}
