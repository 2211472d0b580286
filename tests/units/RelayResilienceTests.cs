using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Hosting;
using PSCompositeMail.Smtp;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class RelayResilienceTests
    {
        private static readonly SocketException Refused = new SocketException((int)SocketError.ConnectionRefused);

        /// <summary>The cool-down; the relay's clock is a <see cref="FakeTimeProvider"/> that only the test moves past it.</summary>
        private static readonly TimeSpan CoolDown = TimeSpan.FromMinutes(1);

        private static SmtpSettings Settings(int retries, TimeSpan? coolDown = null) => new SmtpSettings("relay.example.com", SmtpSecurity.None, 25)
        {
            RetryCount = retries,
            RetryInterval = TimeSpan.Zero,
            CircuitBreak = coolDown ?? TimeSpan.FromMinutes(10),
        };

        /// <summary>Runs one message's delivery that fails with <paramref name="failure"/> on every attempt; returns how many attempts ran.</summary>
        /// <param name="inTransaction">Whether the failure came once the connection was open (mid-message), not while opening it.</param>
        private static int FailOneMessage(RelayResilience relay, Exception failure, bool inTransaction = false)
        {
            var attempts = 0;
            try
            {
                relay.Execute<string>(new RelayAttempt(), attempt =>
                {
                    attempts++;
                    attempt.InTransaction = inTransaction;
                    throw failure;
                }, CancellationToken.None);
            }
            catch (Exception ex) when (ex == failure || ex is BrokenCircuitException)
            {
                // A failed probe ends its message's retries: the circuit is open again.
            }

            return attempts;
        }

        [Fact]
        public void A_message_that_cannot_reach_the_relay_after_its_retries_opens_the_circuit_for_the_next_ones()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 20, 30, TimeSpan.Zero));
            time.SetLocalTimeZone(TimeZoneInfo.Utc);
            var relay = new RelayResilience("relay", Settings(retries: 2), context, time);

            Assert.Equal(3, FailOneMessage(relay, Refused));

            var called = false;
            Assert.Throws<BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => called = true, CancellationToken.None));
            Assert.False(called);
            Assert.Matches("relay.example.com:25 was not tried: circuit open since 10:20:30: could not connect", relay.DescribeOpenCircuit());
            Assert.Single(context.Records, r => r.Kind == StreamKind.Warning && r.Text.Contains("is unavailable"));
        }

        [Fact]
        public void After_the_cool_down_one_probe_goes_through_and_its_success_closes_the_circuit()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var time = new FakeTimeProvider();
            var relay = new RelayResilience("relay", Settings(retries: 1, CoolDown), context, time);
            FailOneMessage(relay, Refused);
            Assert.Throws<BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
            time.Advance(CoolDown - TimeSpan.FromSeconds(1));
            Assert.Throws<BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));

            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
        }

        [Fact]
        public void A_failed_probe_opens_the_circuit_again_at_once()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var time = new FakeTimeProvider();
            var relay = new RelayResilience("relay", Settings(retries: 2, CoolDown), context, time);
            FailOneMessage(relay, Refused);
            time.Advance(CoolDown);

            Assert.Equal(1, FailOneMessage(relay, new TimeoutException("no answer")));
            Assert.Throws<BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
        }

        [Fact]
        public async Task A_message_waits_for_its_retry_on_the_relay_clock()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var time = new FakeTimeProvider();
            var settings = Settings(retries: 1);
            settings.RetryInterval = TimeSpan.FromMinutes(10);
            var relay = new RelayResilience("relay", settings, context, time);
            using var firstFailed = new ManualResetEventSlim();
            var attempts = 0;
            var sending = Task.Run(() => relay.Execute(new RelayAttempt(), _ =>
            {
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    firstFailed.Set();
                    throw Refused;
                }

                return "sent";
            }, CancellationToken.None));

            Assert.True(firstFailed.Wait(TimeSpan.FromSeconds(30)));
            Assert.False(sending.IsCompleted);
            // Far past the longest delay the jittered backoff may pick for the first retry, again until it is taken: the
            // retry's timer is set a moment after the first attempt failed, and time moved before it would not wake it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!sending.IsCompleted && DateTime.UtcNow < deadline)
            {
                time.Advance(TimeSpan.FromDays(1));
                await Task.WhenAny(sending, Task.Delay(10));
            }

            Assert.Equal("sent", await sending.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(2, attempts);
        }

        [Fact]
        public void Refusals_and_one_message_that_loses_its_connection_are_retried_but_do_not_open_the_circuit()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var relay = new RelayResilience("relay", Settings(retries: 1), context);

            Assert.Equal(2, FailOneMessage(relay, new IOException("reset"), inTransaction: true));
            Assert.Equal(2, FailOneMessage(relay, new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.MailboxBusy, "451 later")));
            Assert.Equal(1, FailOneMessage(relay, new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.TransactionFailed, "554 no")));

            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
        }

        [Fact]
        public void One_message_the_relay_drops_does_not_open_the_circuit_for_the_healthy_ones_after_it()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var relay = new RelayResilience("relay", Settings(retries: 1), context);
            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));

            // Dropped after its whole DATA (never retried), then another closed mid-DATA (retried once).
            var unconfirmed = SmtpFailure.Unconfirmed(new IOException("connection closed"), Settings(retries: 1));
            Assert.Equal(1, FailOneMessage(relay, unconfirmed, inTransaction: true));
            Assert.Equal(2, FailOneMessage(relay, new IOException("broken pipe"), inTransaction: true));

            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
            Assert.DoesNotContain(context.Records, r => r.Kind == StreamKind.Warning && r.Text.Contains("is unavailable"));
        }

        [Fact]
        public void Different_messages_losing_their_connection_in_a_row_open_the_circuit_and_a_delivery_resets_the_count()
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            var relay = new RelayResilience("relay", Settings(retries: 0), context);
            for (var message = 1; message < RelayResilience.MessagesFailingInARow; message++)
            {
                FailOneMessage(relay, new IOException("reset"), inTransaction: true);
            }

            Assert.Equal("sent", relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
            for (var message = 1; message <= RelayResilience.MessagesFailingInARow; message++)
            {
                FailOneMessage(relay, new IOException("reset"), inTransaction: true);
            }

            Assert.Throws<BrokenCircuitException>(() => relay.Execute(new RelayAttempt(), _ => "sent", CancellationToken.None));
        }
    }
}
