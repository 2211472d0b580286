using System;
using System.IO;
using System.Linq;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Sending;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>The message log's lines, spool ages on a fixed clock, spool health, and column text.</summary>
    public sealed class UnattendedTests : IDisposable
    {
        private static readonly DateTimeOffset Spooled = new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "pscm-unattended-" + Guid.NewGuid().ToString("N"));

        public UnattendedTests() => Directory.CreateDirectory(_folder);

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Fact]
        public void A_log_line_has_the_contract_fields_in_order_with_the_time_given()
        {
            var failed = new BackendResult("primary", MailBackendKind.Smtp, DeliveryStatus.Failed, TimeSpan.Zero, new InvalidOperationException("535 5.7.8 Authentication credentials invalid"));
            var backup = new BackendResult("backup", MailBackendKind.Smtp, DeliveryStatus.Failed, TimeSpan.Zero, new InvalidOperationException("Connection refused"));
            var composite = new BackendResult("relays", MailBackendKind.Composite, DeliveryStatus.Failed, TimeSpan.Zero, new InvalidOperationException("both"), new[] { failed, backup });
            var log = new MessageLog(Path.Combine(_folder, "mail.log"), () => Spooled);
            var line = log.Format(new MessageLogEntry
            {
                MessageId = "a@example.com",
                Subject = "Report \"03:00\"\u001b[31m\u202E",
                To = new[] { "jane@example.com", "bob@example.com" },
                Outcome = MessageOutcome.Spooled,
                Reason = composite.Reason(),
                Backends = new[] { composite },
                SpoolPath = Path.Combine(_folder, "20261207T0300.eml"),
            });
            Assert.Equal(
                "{\"time\":\"2026-12-07T03:00:00.000Z\",\"messageId\":\"a@example.com\",\"subject\":\"Report \\\"03:00\\\"\\u001b[31m\\u202e\"," +
                "\"to\":[\"jane@example.com\",\"bob@example.com\"],\"outcome\":\"Spooled\"," +
                "\"reason\":\"backend 'primary' failed: 535 5.7.8 Authentication credentials invalid; backend 'backup' failed: Connection refused\"," +
                "\"backends\":[{\"name\":\"primary\",\"status\":\"Failed\",\"error\":\"535 5.7.8 Authentication credentials invalid\"},{\"name\":\"backup\",\"status\":\"Failed\",\"error\":\"Connection refused\"}]," +
                "\"spoolItem\":\"20261207T0300.eml\",\"resend\":false}",
                line);
        }

        [Fact]
        public void A_reason_is_one_line_even_when_a_server_answered_in_several()
        {
            var failed = new BackendResult("relay", MailBackendKind.Smtp, DeliveryStatus.Failed, TimeSpan.Zero, new InvalidOperationException("550-first line\r\n550 second line"));
            Assert.Equal("backend 'relay' failed: 550-first line 550 second line", failed.Reason());
            Assert.Equal(string.Empty, new BackendResult("relay", MailBackendKind.Smtp, DeliveryStatus.Sent, TimeSpan.Zero).Reason());
        }

        [Fact]
        public void Lines_are_appended_whole()
        {
            var path = Path.Combine(_folder, "mail.log");
            var log = new MessageLog(path, () => Spooled);
            log.Write(new MessageLogEntry { Subject = "one" });
            log.Write(new MessageLogEntry { Subject = "two", Outcome = MessageOutcome.Refused });
            var lines = File.ReadAllLines(path);
            Assert.Equal(2, lines.Length);
            Assert.Contains("\"outcome\":\"Refused\"", lines[1]);
            Assert.EndsWith("\n", File.ReadAllText(path));
        }

        [Fact]
        public void Age_is_measured_on_the_spool_clock_and_a_resend_keeps_Queued()
        {
            var now = Spooled;
            var spool = new MailSpool(_folder, () => now);
            using (var message = Messages.Simple("report"))
            {
                spool.Add(message, new[] { "relay" }, Array.Empty<string>(), "All", "relay down");
            }

            now = Spooled.AddHours(5);
            var item = Assert.Single(spool.List());
            Assert.Equal(Spooled, item.Queued);
            Assert.Equal(TimeSpan.FromHours(5), item.Age);
            using (var claim = spool.TryClaim(item)!)
            {
                claim.Fail(new[] { "relay" }, Array.Empty<string>(), "still down", maxAttempts: 5);
            }

            now = Spooled.AddHours(6);
            var again = Assert.Single(spool.List());
            Assert.Equal(Spooled, again.Queued);
            Assert.Equal(Spooled.AddHours(5), again.LastAttempt);
            Assert.Equal(TimeSpan.FromHours(6), again.Age);
        }

        [Fact]
        public void Health_counts_late_and_poison_items_and_warns_for_each()
        {
            var now = Spooled;
            var spool = new MailSpool(_folder, () => now);
            foreach (var subject in new[] { "early", "poisoned" })
            {
                using var message = Messages.Simple(subject);
                spool.Add(message, new[] { "relay" }, Array.Empty<string>(), "All", "relay down");
            }

            now = Spooled.AddHours(3);
            using (var message = Messages.Simple("late-comer"))
            {
                spool.Add(message, new[] { "relay" }, Array.Empty<string>(), "All", "relay down");
            }

            using (var claim = spool.TryClaim(spool.List().Single(i => i.Subject == "poisoned"))!)
            {
                Assert.True(claim.Fail(new[] { "relay" }, Array.Empty<string>(), "refused", maxAttempts: 1));
            }

            now = Spooled.AddHours(4).AddMinutes(30);
            var health = SpoolHealth.Check(spool, TimeSpan.FromHours(4));
            Assert.False(health.Healthy);
            Assert.Equal(2, health.Waiting);
            Assert.Equal(1, health.Poison);
            Assert.Equal(TimeSpan.FromHours(4.5), health.Oldest);
            Assert.Equal("early", Assert.Single(health.Late).Subject);
            var warnings = health.Warnings.ToArray();
            Assert.Equal(2, warnings.Length);
            Assert.Contains("'early'", warnings[0]);
            Assert.Contains("4h 30m", warnings[0]);
            Assert.Contains("relay down", warnings[0]);
            Assert.Contains("'poisoned'", warnings[1]);
            Assert.Contains("refused", warnings[1]);

            Assert.True(SpoolHealth.Check(spool, TimeSpan.FromHours(5)).Late.Count == 0);
        }

        [Fact]
        public void An_empty_spool_is_healthy_with_no_oldest()
        {
            var health = SpoolHealth.Check(new MailSpool(_folder, () => Spooled), TimeSpan.FromHours(4));
            Assert.True(health.Healthy);
            Assert.Equal(0, health.Waiting);
            Assert.Null(health.Oldest);
        }

        [Theory]
        [InlineData("Nightly report from server01", 12, int.MaxValue, "Nightly\nreport from\nserver01")]
        [InlineData("bob@example.com, alice@example.org", 17, int.MaxValue, "bob@example.com,\nalice@example.org")]
        [InlineData("averyveryverylongword fits", 10, int.MaxValue, "averyveryv\nerylongwor\nd fits")]
        [InlineData("/tmp/outbox/20261207-report.eml", 16, int.MaxValue, "/tmp/outbox/\n20261207-\nreport.eml")]
        [InlineData("one two three four five six", 9, 2, "one two\nthree\u2026")]
        [InlineData("a: Sent\nb: Failed", 14, int.MaxValue, "a: Sent\nb: Failed")]
        [InlineData("escape \u001b[31m", 20, int.MaxValue, "escape \\x1B[31m")]
        [InlineData("abc\U0001F600\U0001F600", 4, int.MaxValue, "abc\n\U0001F600\U0001F600")]
        [InlineData("ab\U0001F600 c d", 4, 1, "ab\u2026")]
        public void Column_text_wraps_between_words(string text, int width, int maxLines, string expected) =>
            Assert.Equal(expected, ColumnText.Fit(text, width, maxLines));
    }
}
