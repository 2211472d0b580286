using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// Where each envelope recipient of one message stands with one relay, across attempts: delivered (never sent
    /// again), refused for good (5xx, never retried), or still owed (not tried yet, or refused only for now, 4xx).
    /// A retry goes to the owed ones only.
    /// </summary>
    internal sealed class RecipientLedger
    {
        private readonly List<MailboxAddress> _owed;
        private readonly List<string> _delivered = new List<string>();
        private readonly List<RejectedRecipient> _refused = new List<RejectedRecipient>();
        private readonly Dictionary<string, RejectedRecipient> _deferred = new Dictionary<string,
            RejectedRecipient>(StringComparer.OrdinalIgnoreCase);

        public RecipientLedger(IEnumerable<MailboxAddress> recipients)
        {
            _owed = recipients.ToList();
        }

        /// <summary>The recipients the next attempt goes to.</summary>
        public IReadOnlyList<MailboxAddress> Owed => _owed;

        public IReadOnlyList<string> OwedAddresses => _owed.Select(r => r.Address).ToArray();

        public int DeliveredCount => _delivered.Count;

        /// <summary>Refused for good: reported, never retried.</summary>
        public IReadOnlyList<RejectedRecipient> Refused => _refused;

        /// <summary>The server refused these recipients; the 4xx ones stay owed, the others leave the ledger for good.</summary>
        public IReadOnlyList<RejectedRecipient> Refuse(IEnumerable<RejectedRecipient> refusals)
        {
            var permanent = new List<RejectedRecipient>();
            foreach (var refusal in refusals)
            {
                if (refusal.StatusCode is >= 400 and < 500)
                {
                    _deferred[refusal.Address] = refusal;
                    continue;
                }

                _deferred.Remove(refusal.Address);
                _owed.RemoveAll(r => string.Equals(r.Address, refusal.Address, StringComparison.OrdinalIgnoreCase));
                _refused.Add(refusal);
                permanent.Add(refusal);
            }

            return permanent;
        }

        /// <summary>The server took the message for these recipients.</summary>
        public void Deliver(IEnumerable<MailboxAddress> recipients)
        {
            foreach (var recipient in recipients.ToArray())
            {
                _owed.Remove(recipient);
                _deferred.Remove(recipient.Address);
                _delivered.Add(recipient.Address);
            }
        }

        /// <summary>After an attempt: recipients refused for now make it a transient failure, so only they are retried.</summary>
        /// <exception cref="SmtpRecipientsDeferredException">Some recipients are still refused for now.</exception>
        /// <exception cref="SmtpRecipientsRejectedException">The server refused every recipient for good.</exception>
        public void ThrowUnlessSettled()
        {
            if (_owed.Count > 0)
            {
                throw new SmtpRecipientsDeferredException(_owed.Select(r =>
                    _deferred.TryGetValue(r.Address, out var why) ? why : new RejectedRecipient(r.Address, 0, "not tried")).ToArray(),
                    _delivered.Count);
            }

            if (_delivered.Count == 0)
            {
                throw new SmtpRecipientsRejectedException(_refused.ToArray());
            }
        }
    }
}
