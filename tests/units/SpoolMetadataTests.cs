using System;
using System.IO;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    public sealed class SpoolMetadataTests : IDisposable
    {
        private readonly string _file = Path.Combine(Path.GetTempPath(), "pscm-meta-" + Guid.NewGuid().ToString("N") + ".meta");

        public void Dispose() => File.Delete(_file);

        private static SpoolMetadata Sample() => new SpoolMetadata
        {
            MessageId = "id@example.com",
            Subject = "Ünïcode \"quoted\" \\ back\tslash",
            Sender = "ops@example.com",
            Recipients = new[] { "\"tab\there\"@example.com", "\"a,b;c\\\"d\"@example.com", "jane@example.com" },
            FailedBackends = new[] { "relay" },
            DeliveredBackends = new[] { "archive", "outbound" },
            Policy = "All",
            Error = "line one\r\nline two",
            Attempts = 3,
            FirstFailure = new DateTimeOffset(2026, 11, 27, 1, 2, 3, TimeSpan.Zero),
            LastFailure = new DateTimeOffset(2026, 11, 27, 4, 5, 6, TimeSpan.FromHours(1)),
            Digest = new MessageDigest(1234, new string('a', 64)),
        };

        [Fact]
        public void Every_value_round_trips()
        {
            var written = Sample();
            File.WriteAllBytes(_file, written.ToBytes());

            var read = SpoolMetadata.Read(_file);

            Assert.Equal(written.Subject, read.Subject);
            Assert.Equal(written.Recipients, read.Recipients);
            Assert.Equal(written.DeliveredBackends, read.DeliveredBackends);
            Assert.Equal(written.Error, read.Error);
            Assert.Equal(written.Attempts, read.Attempts);
            Assert.Equal(written.FirstFailure, read.FirstFailure);
            Assert.Equal(written.LastFailure, read.LastFailure);
            Assert.Equal(1234, read.Digest!.Length);
            Assert.Equal(SpoolMetadata.CurrentFormat, read.Format);
        }

        [Theory]
        [InlineData("{\"format\": 2, \"sender\": \"ops@exa")]
        [InlineData("{\"format\": 2, \"sender\": \"ops@example.com\", \"recipients\": [], \"attempts\": 1, \"messageLength\": 1, \"messageSha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
        [InlineData("{\"format\": 2, \"sender\": \"ops@example.com\", \"recipients\": [\"a@example.com\"], \"attempts\": 1}")]
        [InlineData("{\"format\": 3, \"sender\": \"ops@example.com\", \"recipients\": [\"a@example.com\"], \"attempts\": 1, \"messageLength\": 1, \"messageSha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
        [InlineData("garbage without structure")]
        [InlineData("Subject: only a subject\n")]
        public void Anything_but_whole_valid_metadata_is_refused(string content)
        {
            File.WriteAllText(_file, content);

            Assert.Throws<InvalidDataException>(() => SpoolMetadata.Read(_file));
        }

        [Fact]
        public void Metadata_written_by_0_1_0_is_still_read()
        {
            File.WriteAllText(_file, "Message-Id: old@example.com\nSubject: Old\nSender: ops@example.com\nRecipients: jane@example.com\taudit@example.com\nFailed-Backends: relay\nPolicy: All\nError: down\nAttempts: 2\nFirst-Failure: 2026-11-27T01:02:03.0000000+00:00\nLast-Failure: 2026-11-27T01:02:03.0000000+00:00\n");

            var read = SpoolMetadata.Read(_file);

            Assert.Equal(LegacySpoolMetadata.Format, read.Format);
            Assert.Equal(new[] { "jane@example.com", "audit@example.com" }, read.Recipients);
            Assert.Equal(2, read.Attempts);
            Assert.Null(read.Digest);
        }
    }
}
