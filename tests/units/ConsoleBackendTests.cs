using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class ConsoleBackendTests
    {
        [Theory]
        [InlineData(ConsoleStream.Verbose, false, true)]
        [InlineData(ConsoleStream.Debug, true, false)]
        public void A_copy_on_a_stream_nobody_shows_is_never_formatted(ConsoleStream stream, bool verbose, bool debug)
        {
            var message = new CountingMessage();
            using var context = new DeliveryContext(CancellationToken.None) { VerboseEnabled = verbose, DebugEnabled = debug };
            using var session = new ConsoleBackend(null, ConsoleFormat.Full, stream).OpenSession(context);

            var result = session.Deliver(message);

            Assert.Equal(DeliveryStatus.Sent, result.Status);
            Assert.Equal(0, message.Formatted);
            Assert.Empty(context.Records);
        }

        [Theory]
        [InlineData(ConsoleStream.Information, "Information")]
        [InlineData(ConsoleStream.Verbose, "Verbose")]
        [InlineData(ConsoleStream.Debug, "Debug")]
        public void A_shown_copy_is_queued_once_for_its_stream_in_the_chosen_format(ConsoleStream stream, string expected)
        {
            var message = new CountingMessage();
            using var context = new DeliveryContext(CancellationToken.None);
            using var session = new ConsoleBackend(null, ConsoleFormat.Summary, stream).OpenSession(context);

            session.Deliver(message);

            var record = Assert.Single(context.Records);
            Assert.Equal(expected, record.Kind.ToString());
            Assert.Equal("Summary of counted", record.Text);
            Assert.Equal(1, message.Formatted);
        }

        /// <summary>
        /// Header text with control characters is refused before a message is built, so no input reaches the summary
        /// with them; the formatter still escapes them, whatever a message holds (defence in depth, tested directly).
        /// </summary>
        [Fact]
        public void The_summary_shows_control_characters_in_a_subject_escaped()
        {
            var mime = new MimeKit.MimeMessage();
            mime.From.Add(new MimeKit.MailboxAddress(null, "ops@example.com"));
            var jane = new MimeKit.MailboxAddress(null, "jane@example.com");
            mime.To.Add(jane);
            mime.Subject = "bell\a\u001B[2J\u009B";
            using var message = new PSCompositeMail.Engine.Messages.OutgoingMessage(
                mime, new MimeKit.MailboxAddress(null, "ops@example.com"), new[] { jane }, System.Net.Mail.DeliveryNotificationOptions.None);

            var summary = message.Format(ConsoleFormat.Summary);

            Assert.Contains("bell\\x07\\x1B[2J\\x9B", summary);
            Assert.DoesNotContain("\u001B", summary, StringComparison.Ordinal);
        }

        /// <summary>A message that only counts how often it is rendered for the console.</summary>
        private sealed class CountingMessage : IOutgoingMessage
        {
            public int Formatted { get; private set; }

            public string MessageId => "counted@example.com";

            public string Subject => "counted";

            public IReadOnlyList<string> To => new[] { "jane@example.com" };

            public string SenderAddress => "ops@example.com";

            public IReadOnlyList<string> RecipientAddresses => To;

            public void WriteTo(Stream stream) => throw new NotSupportedException();

            public void WriteForPickup(Stream stream) => throw new NotSupportedException();

            public string Format(ConsoleFormat format)
            {
                Formatted++;
                return $"{format} of {Subject}";
            }

            public CapturedMessage Capture() => throw new NotSupportedException();

            public IOutgoingMessage ForRecipients(IReadOnlyList<string> recipients) => throw new NotSupportedException();

            public void Dispose()
            {
            }
        }
    }
}
