using System;
using System.IO;
using System.Linq;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    public sealed class MailSpoolTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "pscm-spool-" + Guid.NewGuid().ToString("N"));

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        private MailSpool SpoolWithOneItem()
        {
            var spool = new MailSpool(_folder);
            using var message = Messages.Simple("spooled");
            spool.Add(message, new[] { "relay" }, "All", "connection refused");
            return spool;
        }

        [Fact]
        public void An_item_keeps_its_envelope_and_failure()
        {
            var item = Assert.Single(SpoolWithOneItem().List());
            Assert.Equal("spooled", item.Subject);
            Assert.Equal(new[] { "jane@example.com" }, item.To);
            Assert.Equal("relay", item.Backend);
            Assert.Equal("connection refused", item.Error);
            Assert.Equal(1, item.Attempts);
            Assert.True(File.Exists(item.MessagePath));
        }

        [Fact]
        public void Only_one_claim_wins()
        {
            var spool = SpoolWithOneItem();
            var item = spool.List().Single();
            using var first = spool.TryClaim(item);
            using var second = spool.TryClaim(item);
            Assert.NotNull(first);
            Assert.Null(second);
            Assert.Empty(spool.List());
        }

        [Fact]
        public void An_unsettled_claim_goes_back_untouched()
        {
            var spool = SpoolWithOneItem();
            using (spool.TryClaim(spool.List().Single()))
            {
            }

            Assert.Equal(1, spool.List().Single().Attempts);
        }

        [Fact]
        public void A_failed_attempt_is_counted_and_the_last_one_poisons()
        {
            var spool = SpoolWithOneItem();
            using (var claim = spool.TryClaim(spool.List().Single())!)
            {
                Assert.False(claim.Fail(new[] { "relay" }, "still down", maxAttempts: 3));
            }

            var item = spool.List().Single();
            Assert.Equal(2, item.Attempts);
            Assert.Equal("still down", item.Error);
            using (var claim = spool.TryClaim(item)!)
            {
                Assert.True(claim.Fail(new[] { "relay" }, "down again", maxAttempts: 3));
            }

            Assert.Empty(spool.List());
            Assert.Equal(3, spool.List(poisoned: true).Single().Attempts);
        }

        [Fact]
        public void A_completed_item_leaves_nothing_behind()
        {
            var spool = SpoolWithOneItem();
            using (var claim = spool.TryClaim(spool.List().Single())!)
            {
                claim.Complete();
            }

            Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
        }
    }
}
