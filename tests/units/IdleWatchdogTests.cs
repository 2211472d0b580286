using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using PSCompositeMail.Engine.Smtp;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// The watchdog's deadlines on a <see cref="FakeTimeProvider"/>: the clock moves only when the test advances it, so
    /// a 30 s timeout is tested without waiting 30 s, and a loaded machine cannot make a deadline pass early.
    /// </summary>
    public class IdleWatchdogTests
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

        /// <summary>Generous: only reached when the watchdog fails to stop the operation.</summary>
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

        /// <summary>
        /// Runs an operation that waits until the watchdog cancels it, on another thread; returns once it is waiting.
        /// Not cancelled within <see cref="Bound"/>, it returns normally, which fails the test.
        /// </summary>
        private static Task<bool> RunUntilStopped(IdleWatchdog watchdog)
        {
            using var started = new ManualResetEventSlim();
            var running = Task.Run(() => watchdog.Run(token =>
            {
                started.Set();
                token.WaitHandle.WaitOne(Bound);
                token.ThrowIfCancellationRequested();
                return true;
            }));
            Assert.True(started.Wait(Bound));
            return running;
        }

        [Fact]
        public async Task A_read_that_gets_nothing_for_the_timeout_is_stopped_and_says_so()
        {
            var time = new FakeTimeProvider();
            using var watchdog = new IdleWatchdog(CancellationToken.None, Timeout, time);
            var running = RunUntilStopped(watchdog);

            time.Advance(Timeout - TimeSpan.FromSeconds(1));
            Assert.False(running.IsCompleted);
            time.Advance(TimeSpan.FromSeconds(2));

            var error = await Assert.ThrowsAsync<TimeoutException>(() => running);
            Assert.Equal("no answer within 30 s", error.Message);
        }

        [Fact]
        public async Task Every_byte_from_the_server_gives_the_next_read_the_whole_timeout_but_a_reply_dripping_in_is_cut_off()
        {
            var time = new FakeTimeProvider();
            using var watchdog = new IdleWatchdog(CancellationToken.None, Timeout, time);
            var running = RunUntilStopped(watchdog);

            // A byte every 20 s keeps each read within the timeout; the whole reply may take 4 times the timeout at most.
            var replyLimit = TimeSpan.FromTicks(Timeout.Ticks * IdleWatchdog.ReplyLimitFactor);
            for (var waited = TimeSpan.Zero; waited < replyLimit; waited += TimeSpan.FromSeconds(20))
            {
                Assert.False(running.IsCompleted);
                time.Advance(TimeSpan.FromSeconds(20));
                watchdog.ServerSent(1);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            await Assert.ThrowsAsync<ReplyTooSlowException>(() => running);
        }
    }
}
