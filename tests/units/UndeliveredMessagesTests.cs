using System;
using System.IO;
using System.Linq;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    public sealed class UndeliveredMessagesTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "pscm-undelivered-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        private static BackendResult FailedOutcome()
        {
            var composite = new CompositeBackend("root", new MailBackend[] { new ThrowingBackend("relay") }, DeliveryPolicy.All);
            using var session = composite.OpenSession(new DeliveryContext(CancellationToken.None));
            using var message = Messages.Simple();
            return session.Deliver(message);
        }

        [Fact]
        public void A_failure_is_spooled_and_its_results_say_so()
        {
            var undelivered = new UndeliveredMessages(new MailSpool(_folder), "All", maxAttempts: 5);
            using var message = Messages.Simple("kept");

            var settlement = undelivered.Settle(message, FailedOutcome(), claim: null, Array.Empty<string>(), historyIgnored: false);

            Assert.NotNull(settlement.SpoolPath);
            Assert.True(File.Exists(settlement.SpoolPath));
            Assert.Equal(DeliveryStatus.Spooled, Assert.Single(settlement.Results).Status);
            Assert.Contains("kept in the spool", settlement.Fate);
            Assert.Equal("relay", new MailSpool(_folder).List().Single().Backend);
        }

        [Fact]
        public void Without_a_spool_a_failure_stays_a_failure()
        {
            var undelivered = new UndeliveredMessages(spool: null, "All", maxAttempts: 5);
            using var message = Messages.Simple();

            var settlement = undelivered.Settle(message, FailedOutcome(), claim: null, Array.Empty<string>(), historyIgnored: false);

            Assert.Null(settlement.SpoolPath);
            Assert.Equal(DeliveryStatus.Failed, Assert.Single(settlement.Results).Status);
            Assert.False(Directory.Exists(_folder));
        }

        [Fact]
        public void A_message_without_an_outcome_is_kept_and_the_warning_says_where()
        {
            var undelivered = new UndeliveredMessages(new MailSpool(_folder), "All", maxAttempts: 5);
            using var inFlight = Messages.Simple("in flight");

            var settlement = undelivered.KeepUnfinished(inFlight, claim: null, new[] { "relay" }, Array.Empty<string>(), "The send was stopped before it finished.");

            var kept = new MailSpool(_folder).List().Single();
            Assert.Equal("in flight", kept.Subject);
            Assert.Equal("The send was stopped before it finished.", kept.Error);
            Assert.Contains(settlement.SpoolPath!, settlement.Fate);
        }

        [Fact]
        public void Without_a_spool_a_message_without_an_outcome_is_only_reported()
        {
            var undelivered = new UndeliveredMessages(spool: null, "All", maxAttempts: 5);
            using var inFlight = Messages.Simple("in flight");

            var settlement = undelivered.KeepUnfinished(inFlight, claim: null, new[] { "relay" }, Array.Empty<string>(), "The pipeline ended before it was sent.");

            Assert.Null(settlement.SpoolPath);
            Assert.Contains("-SpoolDirectory", settlement.Fate);
            Assert.False(Directory.Exists(_folder));
        }
    }
}
