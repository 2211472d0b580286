using System;
using System.Diagnostics;
using System.Threading;
using MailKit;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// MailKit's own Timeout is not applied to blocking reads once a cancellable token is passed, so the
    /// timeout is enforced here: a token that trips when the connection makes no progress for the timeout. Progress
    /// is every read from and write to the server (reported by <see cref="ActivityProtocolLogger"/>) and every chunk
    /// of message data (this doubles as MailKit's transfer progress), so the timeout bounds each reply, not a whole
    /// exchange of several commands. Progress only moves a deadline; one timer per connection compares it with the
    /// clock, because re-arming a timer per call costs more than sending a small message. The caller's token
    /// (Ctrl+C) is linked in, so both stop the same I/O.
    /// </summary>
    internal sealed class IdleWatchdog : ITransferProgress, IDisposable
    {
        private readonly CancellationToken _stop;
        private readonly TimeSpan _timeout;
        private readonly long _timeoutTicks;
        private readonly CancellationTokenSource _source;
        private readonly Timer _timer;
        private long _deadline;
        private int _busy;

        public IdleWatchdog(CancellationToken stop, TimeSpan timeout)
        {
            _stop = stop;
            _timeout = timeout;
            _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var period = TimeSpan.FromMilliseconds(Math.Max(50, Math.Min(1000, timeout.TotalMilliseconds / 4)));
            _timer = new Timer(CheckDeadline, null, period, period);
        }

        public T Run<T>(Func<CancellationToken, T> operation)
        {
            Touch();
            Volatile.Write(ref _busy, 1);
            try
            {
                return operation(_source.Token);
            }
            catch (OperationCanceledException ex) when (!_stop.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {_timeout.TotalSeconds:0.#} s", ex);
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

        void ITransferProgress.Report(long bytesTransferred, long totalSize) => Touch();

        void ITransferProgress.Report(long bytesTransferred) => Touch();

        /// <summary>The connection moved: the next read or write gets the whole timeout again.</summary>
        public void Touch() => Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + _timeoutTicks);

        private void CheckDeadline(object? state)
        {
            if (Volatile.Read(ref _busy) == 1 && Stopwatch.GetTimestamp() > Volatile.Read(ref _deadline))
            {
                try
                {
                    _source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The connection was closed meanwhile.
                }
            }
        }

        public void Dispose()
        {
            _timer.Dispose();
            _source.Dispose();
        }
    }
}
