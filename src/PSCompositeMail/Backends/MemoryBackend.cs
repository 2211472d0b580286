using System.Collections.Generic;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>Keeps a copy of every message it gets, for tests and inspection.</summary>
    public sealed class MemoryBackend : MailBackend
    {
        private readonly object _gate = new object();
        private readonly List<CapturedMessage> _messages = new List<CapturedMessage>();

        public MemoryBackend(string? name)
            : base(name, MailBackendKind.Memory)
        {
        }

        /// <summary>A snapshot of the messages received so far, oldest first.</summary>
        public IReadOnlyList<CapturedMessage> Messages
        {
            get
            {
                lock (_gate)
                {
                    return _messages.ToArray();
                }
            }
        }

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _messages.Count;
                }
            }
        }

        public override string Description => $"{Count} message(s) kept in memory";

        internal override bool DescriptionIsFixed => false;

        public void Clear()
        {
            lock (_gate)
            {
                foreach (var message in _messages)
                {
                    message.Release();
                }

                _messages.Clear();
            }
        }

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        private void Keep(CapturedMessage message)
        {
            lock (_gate)
            {
                _messages.Add(message);
            }
        }

        private sealed class Session : StatelessSession<MemoryBackend>
        {
            public Session(MemoryBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                Backend.Keep(message.Capture());
                return null;
            }
        }
    }
}
