using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Mail;
using MimeKit;

namespace PSCompositeMail.Messages
{
    /// <summary>A validated message, built once, handed unchanged to every backend.</summary>
    internal sealed class OutgoingMessage : IDisposable
    {
        public OutgoingMessage(MimeMessage mime, MailboxAddress envelopeSender, IReadOnlyList<MailboxAddress> recipients, DeliveryNotificationOptions deliveryNotification)
        {
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

        public string MessageId => Mime.MessageId ?? string.Empty;

        public string Subject => Mime.Subject ?? string.Empty;

        public IReadOnlyList<string> To { get; }

        public IEnumerable<MailboxAddress> Bcc => Mime.Bcc.Mailboxes;

        public void Dispose() => Mime.Dispose();
    }
}
