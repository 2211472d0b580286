using System;
using System.IO;
using System.Linq;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
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
            spool.Add(message, new[] { "relay" }, new[] { "archive" }, "All", "connection refused");
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
                Assert.False(claim.Fail(new[] { "relay" }, new[] { "audit" }, "still down", maxAttempts: 3));
            }

            var item = spool.List().Single();
            Assert.Equal(2, item.Attempts);
            Assert.Equal("still down", item.Error);
            Assert.Equal(new[] { "archive", "audit" }, item.DeliveredBy);
            using (var claim = spool.TryClaim(item)!)
            {
                Assert.True(claim.Fail(new[] { "relay" }, Array.Empty<string>(), "down again", maxAttempts: 3));
            }

            Assert.Empty(spool.List());
            Assert.Equal(3, spool.List(poisoned: true).Single().Attempts);
        }

        [Fact]
        public void An_item_given_back_after_a_stop_remembers_what_took_it_and_counts_no_attempt()
        {
            var spool = SpoolWithOneItem();
            using (var claim = spool.TryClaim(spool.List().Single())!)
            {
                Assert.Equal(new[] { "relay" }, claim.OwedBackends);
                Assert.Empty(spool.List());
                claim.Return(new[] { "relay" });
            }

            var item = spool.List().Single();
            Assert.Equal(1, item.Attempts);
            Assert.Equal(new[] { "archive", "relay" }, item.DeliveredBy);
            Assert.Equal(string.Empty, item.Backend);
            Assert.Equal("connection refused", item.Error);
        }

        [Theory]
        [InlineData("All", new[] { "relay" }, new[] { "backup" })]
        [InlineData("All", new[] { "relay", "backup" }, new string[0])]
        [InlineData("Failover", new[] { "relay" }, new string[0])]
        [InlineData("Any", new string[0], new[] { "relay", "backup" })]
        public void A_resend_settles_an_item_only_once_the_backends_that_failed_it_took_it(string policy, string[] deliveredNow, string[] stillOwed)
        {
            var spool = new MailSpool(_folder);
            using (var message = Messages.Simple("owed"))
            {
                spool.Add(message, new[] { "relay", "backup" }, new[] { "archive" }, policy, "both down");
            }

            using var claim = spool.TryClaim(spool.List().Single())!;
            var shortfall = claim.Shortfall(deliveredNow);
            Assert.Equal(stillOwed.Length == 0 ? null : stillOwed, shortfall);
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

        [Fact]
        public void A_poisoned_item_can_be_claimed_and_stays_poisoned_when_it_fails_again()
        {
            var spool = SpoolWithOneItem();
            using (var claim = spool.TryClaim(spool.List().Single())!)
            {
                Assert.True(claim.Fail(new[] { "relay" }, Array.Empty<string>(), "down", maxAttempts: 1));
            }

            using (var claim = spool.TryClaim(spool.List(poisoned: true).Single())!)
            {
                Assert.False(claim.Fail(new[] { "relay" }, Array.Empty<string>(), "down again", maxAttempts: 1));
                Assert.StartsWith(spool.PoisonPath, claim.MessageFile);
            }

            Assert.Empty(spool.List());
            Assert.Equal(3, spool.List(poisoned: true).Single().Attempts);
            using (var claim = spool.TryClaim(spool.List(poisoned: true).Single())!)
            {
                claim.Complete();
            }

            Assert.Empty(spool.List(poisoned: true));
        }

        [Fact]
        public void An_eml_changed_on_disk_is_set_aside_with_its_reason_instead_of_loaded()
        {
            var spool = SpoolWithOneItem();
            var item = spool.List().Single();
            File.AppendAllText(item.MessagePath, "tampered");
            using var claim = spool.TryClaim(item)!;

            var damaged = Assert.Throws<DamagedSpoolItemException>(() => claim.Load(MailEngine.Instance));

            Assert.Same(item, damaged.Item);
            Assert.Contains("length", damaged.Reason);
            Assert.Empty(spool.List());
            Assert.True(File.Exists(Path.Combine(spool.DamagedPath, item.Id + ".eml")));
            Assert.True(File.Exists(Path.Combine(spool.DamagedPath, item.Id + ".meta")));
            Assert.Contains("length", File.ReadAllText(Path.Combine(spool.DamagedPath, item.Id + ".reason")));
        }

        [Fact]
        public void Same_length_other_content_fails_the_hash()
        {
            var spool = SpoolWithOneItem();
            var item = spool.List().Single();
            var bytes = File.ReadAllBytes(item.MessagePath);
            bytes[bytes.Length - 3] ^= 0x20;
            File.WriteAllBytes(item.MessagePath, bytes);
            using var claim = spool.TryClaim(item)!;

            Assert.Contains("SHA-256", Assert.Throws<DamagedSpoolItemException>(() => claim.Load(MailEngine.Instance)).Reason);
        }

        [Fact]
        public void An_item_without_metadata_is_listed_with_the_reason_and_set_aside_when_claimed()
        {
            var spool = SpoolWithOneItem();
            var item = spool.List().Single();
            File.Delete(Path.Combine(_folder, item.Id + ".meta"));

            var listed = spool.List().Single();
            Assert.Contains("no metadata file", listed.Error);
            using var claim = spool.TryClaim(listed)!;
            Assert.Contains("no metadata file", Assert.Throws<DamagedSpoolItemException>(() => claim.Load(MailEngine.Instance)).Reason);
            Assert.Empty(spool.List());
        }

        [Fact]
        public void A_sound_item_loads_with_its_whole_envelope()
        {
            var spool = new MailSpool(_folder);
            using (var message = MessageBuilder.Build(new MessageSpec { From = "ops@example.com", To = new[] { "jane@example.com" }, Bcc = new[] { "audit@example.com" }, Subject = "s", Body = "b" }))
            {
                spool.Add(message, new[] { "relay" }, Array.Empty<string>(), "All", "down");
            }

            using var claim = spool.TryClaim(spool.List().Single())!;
            using var loaded = claim.Load(MailEngine.Instance);
            Assert.Equal(new[] { "jane@example.com", "audit@example.com" }, loaded.RecipientAddresses);
        }

        [Fact]
        public void A_0_1_0_item_that_fails_again_is_written_back_in_the_current_format_with_a_digest()
        {
            Directory.CreateDirectory(_folder);
            const string id = "20261127T0102030000000Z-00000001-4242-0a1b2c3d";
            File.WriteAllText(Path.Combine(_folder, id + ".eml"), "From: ops@example.com\r\nTo: jane@example.com\r\nSubject: Legacy\r\n\r\nbody\r\n");
            File.WriteAllText(Path.Combine(_folder, id + ".meta"), "Subject: Legacy\nSender: ops@example.com\nRecipients: jane@example.com\taudit@example.com\nAttempts: 1\n");
            var spool = new MailSpool(_folder);
            using (var claim = spool.TryClaim(spool.List().Single())!)
            {
                using (claim.Load(MailEngine.Instance))
                {
                }

                claim.Fail(new[] { "relay" }, Array.Empty<string>(), "down", maxAttempts: 5);
            }

            var item = spool.List().Single();
            Assert.Equal(SpoolMetadata.CurrentFormat, item.Format);
            Assert.Equal(new[] { "jane@example.com", "audit@example.com" }, item.To);
            Assert.Null(item.Metadata.Digest!.Mismatch(item.MessagePath));
        }
    }
}
