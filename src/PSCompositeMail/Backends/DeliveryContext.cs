using System.Collections.Concurrent;
using System.Threading;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// What backends may use while delivering: the pipeline's cancellation and a queue of stream records.
    /// Backends never touch PowerShell streams themselves: the cmdlet drains <see cref="Records"/> on the pipeline thread.
    /// </summary>
    internal sealed class DeliveryContext
    {
        public DeliveryContext(CancellationToken cancellationToken)
        {
            CancellationToken = cancellationToken;
        }

        public CancellationToken CancellationToken { get; }

        public ConcurrentQueue<StreamRecord> Records { get; } = new ConcurrentQueue<StreamRecord>();

        public void Information(string text) => Records.Enqueue(new StreamRecord(StreamKind.Information, text));

        public void Warning(string text) => Records.Enqueue(new StreamRecord(StreamKind.Warning, text));

        public void Verbose(string text) => Records.Enqueue(new StreamRecord(StreamKind.Verbose, text));
    }

    internal enum StreamKind
    {
        Information,
        Warning,
        Verbose,
    }

    internal readonly struct StreamRecord
    {
        public StreamRecord(StreamKind kind, string text)
        {
            Kind = kind;
            Text = text;
        }

        public StreamKind Kind { get; }

        public string Text { get; }
    }
}
