using System;
using System.Text;
using System.Threading;
using MailKit;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Hosting;
using PSCompositeMail.Smtp;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>A message sent whole and never answered may have been delivered: it is noticed, and never retried.</summary>
    public class UnconfirmedDeliveryTests
    {
        private static void Write(ActivityProtocolLogger logger, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            logger.LogClient(bytes, 0, bytes.Length);
        }

        [Fact]
        public void The_final_dot_is_noticed_even_when_split_between_writes_and_forgotten_for_the_next_message()
        {
            using var watchdog = new IdleWatchdog(CancellationToken.None, TimeSpan.FromSeconds(30));
            var logger = new ActivityProtocolLogger(new NullProtocolLogger(), watchdog);

            Write(logger, "DATA\r\n");
            Assert.False(logger.EndOfDataSent);
            Write(logger, "Subject: s\r\n\r\n..a stuffed dot line\r\n..\r\n");
            Assert.False(logger.EndOfDataSent);
            Write(logger, "last line\r\n.");
            Assert.False(logger.EndOfDataSent);
            Write(logger, "\r\n");
            Assert.True(logger.EndOfDataSent);

            logger.ForgetEndOfData();
            Assert.False(logger.EndOfDataSent);
            Write(logger, "\r\n");
            Assert.False(logger.EndOfDataSent);
        }

        [Fact]
        public void A_message_sent_whole_without_a_reply_is_tried_once_and_counts_against_the_relay()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var settings = new SmtpSettings("relay.example.com", SmtpSecurity.None, 25) { RetryCount = 2, RetryInterval = TimeSpan.Zero, CircuitBreak = TimeSpan.FromMinutes(10) };
            var relay = new RelayResilience("relay", settings, context);
            var unconfirmed = SmtpFailure.Unconfirmed(new TimeoutException("no answer within 1 s"), settings);

            for (var message = 0; message < 2; message++)
            {
                var attempts = 0;
                Assert.Same(unconfirmed, Assert.ThrowsAny<Exception>(() => relay.Execute<string>(new RelayAttempt(), attempt =>
                {
                    attempts++;
                    attempt.InTransaction = true;
                    throw unconfirmed;
                }, CancellationToken.None)));
                Assert.Equal(1, attempts);
            }

            Assert.Throws<Polly.CircuitBreaker.BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => true, CancellationToken.None));
            Assert.Matches("the server did not answer after the whole message was sent; it may have been delivered", unconfirmed.Message);
        }
    }
}
