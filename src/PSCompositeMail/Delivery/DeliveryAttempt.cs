using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using PSCompositeMail.Results;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// How an exception out of a delivery is read, in one place: a stop of the pipeline propagates, a programming
    /// error propagates (it is a bug to report with its stack, not a backend that "failed"), and anything else is
    /// that backend's failure.
    /// </summary>
    internal static class DeliveryAttempt
    {
        /// <summary>Runs one backend's step; a failure becomes what <paramref name="failed"/> makes of it.</summary>
        public static T Run<T>(CancellationToken token, Func<T> step, Func<Exception, TimeSpan, T> failed)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                return step();
            }
            catch (Exception ex) when (IsFailure(ex, token))
            {
                return failed(ex, clock.Elapsed);
            }
        }

        /// <summary>Runs one backend's delivery; a failure becomes a Failed result naming the backend.</summary>
        public static BackendResult Deliver(string backendName, MailBackendKind kind, CancellationToken token, Func<BackendResult> deliver) =>
            Run(token, deliver, (ex, elapsed) => new BackendResult(backendName, kind, DeliveryStatus.Failed, elapsed, ex));

        /// <summary>The backend failed: neither a stop nor a bug.</summary>
        public static bool IsFailure(Exception exception, CancellationToken token) => !IsStop(exception, token) && !IsProgrammingError(exception);

        /// <summary>
        /// The pipeline is being stopped (Ctrl+C, Stop()). A script block run then throws PipelineStoppedException,
        /// which only a stop raises, and possibly before PowerShell has called StopProcessing and tripped the token:
        /// it is a stop either way, never the script block backend's failure.
        /// </summary>
        public static bool IsStop(Exception exception, CancellationToken token) =>
            exception is PipelineStoppedException || (token.IsCancellationRequested && exception is OperationCanceledException);

        /// <summary>
        /// A mistake in this module's code. PowerShell's own errors (a cast in a user's script block throws
        /// PSInvalidCastException, an InvalidCastException) carry an error record and are the script's failure.
        /// </summary>
        public static bool IsProgrammingError(Exception exception) =>
            exception is NullReferenceException or InvalidCastException or ArgumentNullException or IndexOutOfRangeException
                or NotImplementedException &&
            exception is not IContainsErrorRecord;
    }
}
