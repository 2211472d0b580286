using System;
using System.Threading;
using MailKit;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// MailKit's own Timeout is not applied to blocking reads once a cancellable token is passed, so the
    /// timeout is enforced here: a token that trips when the connection makes no progress for the timeout. Progress
    /// is every read from and write to the server (reported by <see cref="ActivityProtocolLogger"/>) and every chunk
    /// of message data (this doubles as MailKit's transfer progress), so the timeout bounds each read and write, not a
    /// whole exchange of several commands. Progress by the server alone cannot hold a connection for ever: from the
    /// client's last write (a command, or message data), the server's reply must be complete within
    /// <see cref="ReplyLimitFactor"/> times the timeout, so a tarpit that drips a byte at a time is cut off too, and
    /// it may not be longer than <see cref="MaxReplyBytes"/>: MailKit keeps a whole reply in memory, so a server that
    /// floods one endless reply would otherwise grow the process until it is killed, losing messages not yet spooled.
    /// Progress only moves deadlines; one timer per connection compares them with the clock, because re-arming a
    /// timer per call costs more than sending a small message. The caller's token (Ctrl+C) is linked in, so both
    /// stop the same I/O.
    /// </summary>
    internal sealed class IdleWatchdog : ITransferProgress, IDisposable
    {
        /// <summary>How many times the timeout a whole reply may take when its bytes keep coming.</summary>
        public const int ReplyLimitFactor = 4;

        /// <summary>The most a server may send in answer to one write of the client: far above any real EHLO reply.</summary>
        public const long MaxReplyBytes = 1024 * 1024;

        private const int NotStopped = 0;
        private const int StoppedIdle = 1;
        private const int StoppedTooSlow = 2;
        private const int StoppedTooLarge = 3;

        private readonly CancellationToken _stop;
        private readonly TimeProvider _time;
        private readonly TimeSpan _timeout;
        private readonly long _timeoutTicks;
        private readonly CancellationTokenSource _source;
        private readonly ITimer _timer;
        private long _deadline;
        private long _replyDeadline;
        private long _replyBytes;
        private int _busy;
        private int _stoppedBecause;

        /// <param name="time">The clock of the deadlines and of the timer that checks them: the system's, or a test's that it moves itself.</param>
        public IdleWatchdog(CancellationToken stop, TimeSpan timeout, TimeProvider? time = null)
        {
            _stop = stop;
            _time = time ?? TimeProvider.System;
            _timeout = timeout;
            _timeoutTicks = (long)(timeout.TotalSeconds * _time.TimestampFrequency);
            _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var period = TimeSpan.FromMilliseconds(Math.Max(50, Math.Min(1000, timeout.TotalMilliseconds / 4)));
            _timer = _time.CreateTimer(CheckDeadline, null, period, period);
        }

        public T Run<T>(Func<CancellationToken, T> operation)
        {
            ClientMoved();
            Volatile.Write(ref _busy, 1);
            try
            {
                return operation(_source.Token);
            }
            catch (OperationCanceledException ex) when (!_stop.IsCancellationRequested)
            {
                throw Volatile.Read(ref _stoppedBecause) switch
                {
                    StoppedTooLarge => new ReplyTooLargeException(MaxReplyBytes, ex),
                    StoppedTooSlow => new ReplyTooSlowException(_timeout, ReplyLimitFactor, ex),
                    _ => new TimeoutException($"no answer within {_timeout.TotalSeconds:0.#} s", ex),
                };
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Run(Action<CancellationToken> operation) => Run(token =>
        {
            operation(token);
            return true;
        });

        void ITransferProgress.Report(long bytesTransferred, long totalSize) => ClientMoved();

        void ITransferProgress.Report(long bytesTransferred) => ClientMoved();

        /// <summary>
        /// The server sent <paramref name="count"/> bytes: the next read gets the whole timeout again, but the reply's
        /// own limits stand; past <see cref="MaxReplyBytes"/> since the client's last write, the connection stops at once.
        /// </summary>
        public void ServerSent(int count)
        {
            Volatile.Write(ref _deadline, _time.GetTimestamp() + _timeoutTicks);
            if (Interlocked.Add(ref _replyBytes, count) > MaxReplyBytes)
            {
                Stop(StoppedTooLarge);
            }
        }

        /// <summary>The client connected or wrote (a command or message data): what the server says next is a new reply.</summary>
        public void ClientMoved()
        {
            var now = _time.GetTimestamp();
            Volatile.Write(ref _deadline, now + _timeoutTicks);
            Volatile.Write(ref _replyDeadline, now + (ReplyLimitFactor * _timeoutTicks));
            Interlocked.Exchange(ref _replyBytes, 0);
        }

        private void CheckDeadline(object? state)
        {
            if (Volatile.Read(ref _busy) != 1)
            {
                return;
            }

            var now = _time.GetTimestamp();
            if (now > Volatile.Read(ref _replyDeadline))
            {
                Stop(StoppedTooSlow);
            }
            else if (now > Volatile.Read(ref _deadline))
            {
                Stop(StoppedIdle);
            }
        }

        /// <summary>Cancels the I/O under way; the first reason stands, since later timer ticks see a connection already stopped.</summary>
        private void Stop(int reason)
        {
            Interlocked.CompareExchange(ref _stoppedBecause, reason, NotStopped);
            try
            {
                _source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The connection was closed meanwhile.
            }
        }

        public void Dispose()
        {
            _timer.Dispose();
            _source.Dispose();
        }
    }

    /// <summary>The server kept sending, but too slowly: its reply was not complete within the reply limit.</summary>
    internal sealed class ReplyTooSlowException : TimeoutException
    {
        public ReplyTooSlowException(TimeSpan timeout, int factor, Exception inner)
            : base($"a reply was not complete within {factor * timeout.TotalSeconds:0.#} s ({factor} times the {timeout.TotalSeconds:0.#} s " +
                "timeout): the server sends it too slowly", inner)
        {
        }
    }

    /// <summary>The server sent more than a reply can hold (an endless line, or endless continuation lines): the connection was dropped at
    /// once.</summary>
    internal sealed class ReplyTooLargeException : MailKit.Net.Smtp.SmtpProtocolException
    {
        public ReplyTooLargeException(long limit, Exception inner)
            : base($"reply too large: the server sent more than {limit / 1024 / 1024} MB without finishing its reply, far more than any SMTP " +
                "reply; the connection was dropped", inner)
        {
        }
    }

    /// <summary>
    /// The server accepted the connection and said nothing at all within the timeout: a relay that hangs, or a port that
    /// does not speak SMTP first (an HTTPS service; a port where TLS starts at once). Either way another try at once
    /// would wait as long for the same silence, so the message is not retried (the circuit breaker still counts it).
    /// </summary>
    internal sealed class NoGreetingException : TimeoutException
    {
        public NoGreetingException(Exception inner)
            : base("it accepted the connection but sent no greeting: a relay that hangs, or a port that does not speak SMTP " +
                "(an HTTPS service, say, or a port where TLS starts at once, for -Security SslOnConnect); not retried", inner)
        {
        }
    }
}
