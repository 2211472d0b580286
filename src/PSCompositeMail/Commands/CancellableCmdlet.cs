using System;
using System.Management.Automation;
using System.Threading;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// What every cmdlet of the module shares: a cancellation token that Ctrl+C (StopProcessing) trips,
    /// and a Dispose that PowerShell calls however the pipeline ends, so connections are always closed.
    /// </summary>
    public abstract class CancellableCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private bool _disposed;

        protected CancellationToken CancellationToken => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            ReleaseResources();
            _stopping.Dispose();
            GC.SuppressFinalize(this);
        }

        /// <summary>Closes what the command opened; called once, at the end of the pipeline or when it is stopped.</summary>
        protected virtual void ReleaseResources()
        {
        }
    }
}
