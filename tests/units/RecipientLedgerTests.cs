using MimeKit;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Smtp;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class RecipientLedgerTests
    {
        private static RecipientLedger Ledger() => new RecipientLedger(new[]
        {
            MailboxAddress.Parse("a@example.com"),
            MailboxAddress.Parse("busy@example.com"),
            MailboxAddress.Parse("nobody@example.com"),
        });

        [Fact]
        public void A_temporary_refusal_stays_owed_and_a_permanent_one_leaves_for_good()
        {
            var ledger = Ledger();
            var permanent = ledger.Refuse(new[]
            {
                new RejectedRecipient("busy@example.com", 450, "busy"),
                new RejectedRecipient("nobody@example.com", 550, "unknown"),
            });
            ledger.Deliver(new[] { ledger.Owed[0] });

            Assert.Equal(new[] { "nobody@example.com" }, new[] { permanent[0].Address });
            Assert.Equal(new[] { "busy@example.com" }, ledger.OwedAddresses);
            var deferred = Assert.Throws<SmtpRecipientsDeferredException>(ledger.ThrowUnlessSettled);
            Assert.Equal(1, deferred.DeliveredTo);
            Assert.Contains("busy@example.com: 450 busy", deferred.Message);
        }

        [Fact]
        public void Delivered_to_the_owed_ones_settles_the_message()
        {
            var ledger = Ledger();
            ledger.Refuse(new[] { new RejectedRecipient("nobody@example.com", 550, "unknown") });
            ledger.Deliver(ledger.Owed);

            ledger.ThrowUnlessSettled();
            Assert.Empty(ledger.OwedAddresses);
            Assert.Equal(2, ledger.DeliveredCount);
        }

        [Fact]
        public void Every_recipient_refused_for_good_is_a_rejection_not_a_deferral()
        {
            var ledger = Ledger();
            ledger.Refuse(new[]
            {
                new RejectedRecipient("a@example.com", 550, "no"),
                new RejectedRecipient("busy@example.com", 550, "no"),
                new RejectedRecipient("nobody@example.com", 550, "no"),
            });

            Assert.Throws<SmtpRecipientsRejectedException>(ledger.ThrowUnlessSettled);
        }
    }
}
