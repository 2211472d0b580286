using System;
using System.Collections.Generic;
using DeliveryNotificationOptions = System.Net.Mail.DeliveryNotificationOptions;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// MailKit's client, changed in two ways: a refused recipient is recorded instead of aborting the whole
    /// message (the others still get it; when none is accepted MailKit resets the transaction and throws, and the
    /// session reads the refusals from here), and the message's delivery-notification wishes become DSN parameters.
    /// </summary>
    internal sealed class ReportingSmtpClient : SmtpClient
    {
        private readonly List<RejectedRecipient> _rejected = new List<RejectedRecipient>();

        private readonly ActivityProtocolLogger _activity;

        public ReportingSmtpClient(ActivityProtocolLogger logger, IdleWatchdog watchdog)
            : base(logger)
        {
            _activity = logger;
            Watchdog = watchdog;
        }

        /// <summary>Whether the message being sent went out whole (its final dot): the server may have it even without a reply.</summary>
        public bool WholeMessageSent => _activity.EndOfDataSent;

        /// <summary>The first bytes the server sent on this connection; empty while it has said nothing.</summary>
        public ArraySegment<byte> FirstFromServer => _activity.FirstFromServer;

        /// <summary>Called before sending a message, so <see cref="WholeMessageSent"/> speaks of that message only.</summary>
        public void BeginMessage() => _activity.ForgetEndOfData();

        /// <summary>Every blocking call on this client goes through it, so none can hang past the timeout.</summary>
        public IdleWatchdog Watchdog { get; }

        public DeliveryNotificationOptions Notifications { get; set; }

        /// <summary>The recipients refused while sending the last message.</summary>
        public IReadOnlyList<RejectedRecipient> TakeRejected()
        {
            var rejected = _rejected.ToArray();
            _rejected.Clear();
            return rejected;
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                Watchdog.Dispose();
            }
        }

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            _rejected.Add(new RejectedRecipient(mailbox.Address, (int)response.StatusCode, response.Response));

        protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox) =>
            ToDsn(Notifications);

        /// <summary>Send-MailMessage's -DeliveryNotificationOption as the SMTP DSN NOTIFY parameter (sent when the server offers DSN).</summary>
        internal static DeliveryStatusNotification? ToDsn(DeliveryNotificationOptions options)
        {
            if (options == DeliveryNotificationOptions.None)
            {
                return null;
            }

            if (options.HasFlag(DeliveryNotificationOptions.Never))
            {
                return DeliveryStatusNotification.Never;
            }

            var notify = default(DeliveryStatusNotification);
            if (options.HasFlag(DeliveryNotificationOptions.OnSuccess))
            {
                notify |= DeliveryStatusNotification.Success;
            }

            if (options.HasFlag(DeliveryNotificationOptions.OnFailure))
            {
                notify |= DeliveryStatusNotification.Failure;
            }

            if (options.HasFlag(DeliveryNotificationOptions.Delay))
            {
                notify |= DeliveryStatusNotification.Delay;
            }

            return notify;
        }
    }
}
