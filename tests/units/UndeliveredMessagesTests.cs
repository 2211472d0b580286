using System;
using System.IO;
using System.Linq;
using System.Threading;
using PSCompositeMail.Delivery;
using PSCompositeMail.Backends;
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

            var settlement = undelivered.Settle(message, FailedOutcome(), claim: null);

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

            var settlement = undelivered.Settle(message, FailedOutcome(), claim: null);

            Assert.Null(settlement.SpoolPath);
            Assert.Equal(DeliveryStatus.Failed, Assert.Single(settlement.Results).Status);
            Assert.False(Directory.Exists(_folder));
        }

        [Fact]
        public void A_message_stopped_in_flight_is_kept_unless_it_was_delivered()
        {
            var undelivered = new UndeliveredMessages(new MailSpool(_folder), "All", maxAttempts: 5);
            using var inFlight = Messages.Simple("in flight");
            using var delivered = Messages.Simple("delivered");
            var sent = new BackendResult("root", MailBackendKind.Composite, DeliveryStatus.Sent, TimeSpan.Zero);

            undelivered.KeepUnfinished(inFlight, outcome: null, claim: null, new[] { "relay" });
            undelivered.KeepUnfinished(delivered, sent, claim: null, new[] { "relay" });

            Assert.Equal("in flight", new MailSpool(_folder).List().Single().Subject);
        }
    }
}
