using System;
using System.Threading;
using MailKit;

namespace PSCompositeMail.Smtp
{
    /// <summary>
    /// MailKit's own Timeout is not applied to blocking reads once a cancellable token is passed, so the
    /// timeout is enforced here: a token that trips after a period without progress, re-armed before each
    /// command and by every chunk of message data written (it doubles as MailKit's transfer progress).
    /// The caller's token (Ctrl+C) is linked in, so both stop the same I/O.
    /// </summary>
    internal sealed class IdleWatchdog : ITransferProgress, IDisposable
    {
        private readonly CancellationToken _stop;
        private readonly TimeSpan _timeout;
        private readonly CancellationTokenSource _source;

        public IdleWatchdog(CancellationToken stop, TimeSpan timeout)
        {
            _stop = stop;
            _timeout = timeout;
            _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
        }

        public T Run<T>(Func<CancellationToken, T> operation)
        {
            _source.CancelAfter(_timeout);
            try
            {
                return operation(_source.Token);
            }
            catch (OperationCanceledException ex) when (!_stop.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {_timeout.TotalSeconds:0.#} s", ex);
            }
        }

        public void Run(Action<CancellationToken> operation) => Run(token =>
        {
            operation(token);
            return true;
        });

        void ITransferProgress.Report(long bytesTransferred, long totalSize) => _source.CancelAfter(_timeout);

        void ITransferProgress.Report(long bytesTransferred) => _source.CancelAfter(_timeout);

        public void Dispose() => _source.Dispose();
    }
}
