using System.Collections;
using System.Collections.Generic;
using System.Net.Mail;
using System.Text;

namespace PSCompositeMail.Messages
{
    /// <summary>A message as the user described it, before validation.</summary>
    internal sealed class MessageSpec
    {
        public string? From { get; set; }

        public string? Sender { get; set; }

        public IReadOnlyList<string>? To { get; set; }

        public IReadOnlyList<string>? Cc { get; set; }

        public IReadOnlyList<string>? Bcc { get; set; }

        public IReadOnlyList<string>? ReplyTo { get; set; }

        public string? Subject { get; set; }

        public string? Body { get; set; }

        public bool BodyAsHtml { get; set; }

        public string? HtmlBody { get; set; }

        /// <summary>What the report -Body carried holds (its text is Body, its HTML HtmlBody); shown by -WhatIf, -Confirm and -Verbose.</summary>
        public string? ReportDescription { get; set; }

        /// <summary>Full file-system paths, already resolved.</summary>
        public IReadOnlyList<string>? Attachments { get; set; }

        /// <summary>Content id → full file-system path of an image the HTML body shows as cid:id.</summary>
        public IReadOnlyList<KeyValuePair<string, string>>? InlineAttachments { get; set; }

        public MailPriority Priority { get; set; } = MailPriority.Normal;

        public DeliveryNotificationOptions DeliveryNotification { get; set; } = DeliveryNotificationOptions.None;

        public Encoding? Encoding { get; set; }

        public IDictionary? Headers { get; set; }

        public string? MessageId { get; set; }

        /// <summary>S/MIME signing and encryption, applied after the message is built; null: neither.</summary>
        public SmimeOptions? Smime { get; set; }

        /// <summary>The same values in a spec of its own, to complete without changing this one.</summary>
        public MessageSpec Copy() => (MessageSpec)MemberwiseClone();
    }
}
