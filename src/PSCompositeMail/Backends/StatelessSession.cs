using System;
using System.Diagnostics;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>The common case: a backend that delivers each message on its own and holds nothing open.</summary>
    internal abstract class StatelessSession<TBackend> : IDeliverySession
        where TBackend : MailBackend
    {
        protected StatelessSession(TBackend backend, DeliveryContext context)
        {
            Backend = backend;
            Context = context;
        }

        protected TBackend Backend { get; }

        protected DeliveryContext Context { get; }

        public BackendResult Deliver(IOutgoingMessage message)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                Context.CancellationToken.ThrowIfCancellationRequested();
                var detail = DeliverOne(message);
                return new BackendResult(Backend.Name, Backend.Kind, DeliveryStatus.Sent, clock.Elapsed, detail: detail);
            }
            catch (OperationCanceledException) when (Context.CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                return new BackendResult(Backend.Name, Backend.Kind, DeliveryStatus.Failed, clock.Elapsed, ex);
            }
        }

        /// <returns>What to tell the user about the delivery (a file written, say), or null.</returns>
        protected abstract string? DeliverOne(IOutgoingMessage message);

        public virtual void Dispose()
        {
        }
    }
}
