using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Hosting;
using PSCompositeMail.Results;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>A resent message goes only through the backends that did not take it before.</summary>
    public sealed class ResendTests
    {
        private static BackendResult Deliver(CompositeBackend root, params string[] deliveredEarlier)
        {
            var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            using var session = root.OpenSession(context);
            using var message = Messages.Simple();
            context.EarlierDeliveries.Remember(message, DeliveredBackendNames.Among(deliveredEarlier, root).Select(root.LedgerName));
            return session.Deliver(message);
        }

        [Fact]
        public void Backends_that_took_it_before_are_skipped_and_count_as_delivered()
        {
            var archive = new MemoryBackend("archive");
            var audit = new MemoryBackend("audit");
            var relay = new MemoryBackend("relay");
            var root = new CompositeBackend("root", new MailBackend[] { archive, new CompositeBackend("outbound", new MailBackend[] { audit, relay }, DeliveryPolicy.All) }, DeliveryPolicy.All);

            var result = Deliver(root, "ARCHIVE", "audit");

            Assert.True(result.Succeeded);
            Assert.Equal(new[] { DeliveryStatus.Skipped, DeliveryStatus.Sent }, result.Results.Select(r => r.Status));
            Assert.Equal(new[] { DeliveryStatus.Skipped, DeliveryStatus.Sent }, result.Results[1].Results.Select(r => r.Status));
            Assert.True(result.Results[0].DeliveredEarlier);
            Assert.Equal(0, archive.Count);
            Assert.Equal(0, audit.Count);
            Assert.Equal(1, relay.Count);
        }

        [Fact]
        public void A_composite_that_took_it_before_is_skipped_whole()
        {
            var primary = new MemoryBackend("primary");
            var root = new CompositeBackend("root", new MailBackend[] { new CompositeBackend("relays", new MailBackend[] { primary }, DeliveryPolicy.Failover), new ThrowingBackend("relay") }, DeliveryPolicy.All);

            var result = Deliver(root, "relays");

            Assert.Equal(DeliveryStatus.Skipped, result.Results[0].Status);
            Assert.Equal(0, primary.Count);
        }

        [Fact]
        public void Without_earlier_deliveries_nothing_is_skipped()
        {
            var archive = new MemoryBackend("archive");
            var result = Deliver(new CompositeBackend("root", new MailBackend[] { archive }, DeliveryPolicy.All));

            Assert.Equal(DeliveryStatus.Sent, Assert.Single(result.Results).Status);
            Assert.Equal(1, archive.Count);
        }

        [Fact]
        public void A_spooled_message_remembers_leaves_and_composites_that_took_it_and_tells_namesakes_apart_by_their_place()
        {
            var root = new CompositeBackend(
                "root",
                new MailBackend[]
                {
                    new MemoryBackend("archive"),
                    new CompositeBackend("outbound", new MailBackend[] { new MemoryBackend("audit"), new ThrowingBackend("relay") }, DeliveryPolicy.All),
                    new CompositeBackend("copies", new MailBackend[] { new MemoryBackend("copy") }, DeliveryPolicy.All),
                    new MemoryBackend("smtp"),
                    new ThrowingBackend("smtp"),
                },
                DeliveryPolicy.All);

            var outcome = Deliver(root);

            Assert.Equal(new[] { "archive", "audit", "copies", "copy", "smtp#1" }, DeliveredBackendNames.Of(DeliveredBackendNames.Within(outcome)));
            Assert.Equal(new[] { "relay", "smtp#2" }, DeliveredBackendNames.Failed(outcome));
        }

        [Fact]
        public void A_resend_skips_the_namesake_that_took_it_and_sends_through_the_other()
        {
            var first = new MemoryBackend("smtp");
            var second = new MemoryBackend("smtp");
            var root = new CompositeBackend("root", new MailBackend[] { first, second }, DeliveryPolicy.All);

            var result = Deliver(root, "smtp#1");

            Assert.Equal(new[] { DeliveryStatus.Skipped, DeliveryStatus.Sent }, result.Results.Select(r => r.Status));
            Assert.Equal(0, first.Count);
            Assert.Equal(1, second.Count);
        }

        [Fact]
        public void Ledger_names_of_namesakes_match_their_place_a_plain_name_from_an_older_ledger_matches_every_namesake()
        {
            var first = new MemoryBackend("smtp");
            var second = new MemoryBackend("smtp");
            var relay = new MemoryBackend("relay");
            var root = new CompositeBackend("root", new MailBackend[] { first, second, relay }, DeliveryPolicy.All);

            Assert.Equal(new[] { second }, DeliveredBackendNames.Among(new[] { "SMTP#2" }, root));
            Assert.Equal(new[] { first, second }, DeliveredBackendNames.Among(new[] { "smtp" }, root));
            Assert.Empty(DeliveredBackendNames.Among(new[] { "smtp#3" }, root));
            Assert.Equal(new[] { "smtp#1", "smtp#2", "mailer" }, DeliveredBackendNames.OwedTo(new[] { "smtp", "mailer" }, new Dictionary<string, string>(), root));
            Assert.Equal(new[] { "smtp#2" }, DeliveredBackendNames.Except(new[] { "smtp#1", "smtp#2" }, new[] { "smtp#1" }));
        }

        [Theory]
        [InlineData("relay", "relay#2")]
        [InlineData("x#1", "x")]
        public void A_name_that_only_looks_like_a_namesakes_is_matched_exactly(string taking, string failing)
        {
            var took = new MemoryBackend(taking);
            var owed = new MemoryBackend(failing);
            var root = new CompositeBackend("root", new MailBackend[] { took, owed }, DeliveryPolicy.All);

            Assert.Equal(new[] { took }, DeliveredBackendNames.Among(new[] { taking }, root));
            Assert.Equal(new[] { owed }, DeliveredBackendNames.Among(new[] { failing }, root));
            Assert.Equal(new[] { failing }, DeliveredBackendNames.Except(new[] { failing }, new[] { taking }));
            var result = Deliver(root, taking);
            Assert.Equal(new[] { DeliveryStatus.Skipped, DeliveryStatus.Sent }, result.Results.Select(r => r.Status));
            Assert.Equal(1, owed.Count);
        }

        [Fact]
        public void A_namesakes_name_means_the_one_backend_of_that_name_left_unless_one_is_named_so()
        {
            var smtp = new MemoryBackend("smtp");
            var alone = new CompositeBackend("root", new MailBackend[] { smtp }, DeliveryPolicy.All);
            Assert.Equal(new[] { smtp }, DeliveredBackendNames.Among(new[] { "smtp#2" }, alone));

            var literal = new MemoryBackend("smtp#2");
            var both = new CompositeBackend("root", new MailBackend[] { smtp, literal }, DeliveryPolicy.All);
            Assert.Equal(new[] { literal }, DeliveredBackendNames.Among(new[] { "smtp#2" }, both));
        }

        [Fact]
        public void Namesakes_given_in_another_order_are_owed_the_message_never_skipped_in_each_others_place()
        {
            var d1 = new DirectoryBackend("dir", "/spool-test/d1");
            var d2 = new DirectoryBackend("dir", "/spool-test/d2");
            var whereSent = new Dictionary<string, string> { ["dir#1"] = d1.Description, ["dir#2"] = d2.Description };
            var inOrder = new CompositeBackend("root", new MailBackend[] { d1, d2 }, DeliveryPolicy.All);
            var swapped = new CompositeBackend("root", new MailBackend[] { d2, d1 }, DeliveryPolicy.All);

            Assert.Equal(new[] { "dir#1" }, DeliveredBackendNames.TookIt(new[] { "dir#1" }, whereSent, inOrder));
            Assert.Equal(new[] { "dir#2" }, DeliveredBackendNames.OwedTo(new[] { "dir#2" }, whereSent, inOrder));
            Assert.Empty(DeliveredBackendNames.TookIt(new[] { "dir#1" }, whereSent, swapped));
            Assert.Equal(new[] { "dir#2", "dir#1" }, DeliveredBackendNames.OwedTo(new[] { "dir#2" }, whereSent, swapped));
            var noRecord = new Dictionary<string, string>();
            Assert.Equal(new[] { "dir#1" }, DeliveredBackendNames.TookIt(new[] { "dir#1" }, noRecord, swapped));
        }
    }
}
