using System;
using System.Diagnostics;
using PSCompositeMail.Hosting;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// A place a message can go. The object only describes the backend and connects to nothing;
    /// each Send-CompositeMail invocation opens its own <see cref="IDeliverySession"/>, so connections
    /// live exactly as long as one pipeline.
    /// </summary>
    public abstract class MailBackend
    {
        private protected MailBackend(string? name, MailBackendKind kind)
        {
            Kind = kind;
            Name = string.IsNullOrWhiteSpace(name) ? kind.ToString().ToLowerInvariant() : name!;
        }

        public string Name { get; }

        public MailBackendKind Kind { get; }

        /// <summary>Where this backend sends to, in a few words.</summary>
        public abstract string Description { get; }

        /// <summary>The engine knows how to deliver each kind; a composite builds its session from its members'.</summary>
        internal virtual IDeliverySession OpenSession(DeliveryContext context) => MailEngine.Instance.OpenSession(this, context);

        /// <summary>Checks that the backend could deliver, without sending anything.</summary>
        internal virtual BackendTestResult Test(DeliveryContext context) =>
            new BackendTestResult(Name, Kind.ToString(), succeeded: true, TimeSpan.Zero, "Nothing to check: this backend needs no connection.");

        public override string ToString() => $"{Name} ({Kind}: {Description})";
    }

    /// <summary>One backend's state for the length of one pipeline (an SMTP connection, for instance).</summary>
    internal interface IDeliverySession : IDisposable
    {
        BackendResult Deliver(IOutgoingMessage message);
    }

    /// <summary>The common case: a backend that delivers each message on its own and holds nothing open.</summary>
    internal abstract class StatelessSession : IDeliverySession
    {
        protected StatelessSession(MailBackend backend, DeliveryContext context)
        {
            Backend = backend;
            Context = context;
        }

        protected MailBackend Backend { get; }

        protected DeliveryContext Context { get; }

        public BackendResult Deliver(IOutgoingMessage message)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                Context.CancellationToken.ThrowIfCancellationRequested();
                var detail = DeliverOne(message);
                return new BackendResult(Backend.Name, Backend.Kind.ToString(), DeliveryStatus.Sent, clock.Elapsed, detail: detail);
            }
            catch (OperationCanceledException) when (Context.CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                return new BackendResult(Backend.Name, Backend.Kind.ToString(), DeliveryStatus.Failed, clock.Elapsed, ex);
            }
        }

        /// <returns>What to tell the user about the delivery (a file written, say), or null.</returns>
        protected abstract string? DeliverOne(IOutgoingMessage message);

        public virtual void Dispose()
        {
        }
    }
}
