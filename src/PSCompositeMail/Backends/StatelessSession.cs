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

        public BackendResult Deliver(IOutgoingMessage message) => DeliveryAttempt.Deliver(Backend.Name, Backend.Kind, Context.CancellationToken, () =>
        {
            var clock = Stopwatch.StartNew();
            Context.CancellationToken.ThrowIfCancellationRequested();
            var detail = DeliverOne(message);
            return new BackendResult(Backend.Name, Backend.Kind, DeliveryStatus.Sent, clock.Elapsed, detail: detail);
        });

        /// <returns>What to tell the user about the delivery (a file written, say), or null.</returns>
        protected abstract string? DeliverOne(IOutgoingMessage message);

        public virtual void Dispose()
        {
        }
    }
}
