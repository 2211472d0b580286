using System.Collections.Generic;
using System.Runtime.CompilerServices;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// For the messages of one pipeline that are resent from a spool: the backends that took each on an earlier
    /// attempt. A composite skips those, so a resend goes only where the message has not been yet.
    /// Safe across the pipeline's workers; an entry lives as long as its message.
    /// </summary>
    internal sealed class EarlierDeliveries
    {
        private readonly ConditionalWeakTable<IOutgoingMessage, HashSet<MailBackend>> _byMessage =
            new ConditionalWeakTable<IOutgoingMessage, HashSet<MailBackend>>();

        public void Remember(IOutgoingMessage message, IEnumerable<MailBackend> backends)
        {
            var took = new HashSet<MailBackend>(backends);
            if (took.Count > 0)
            {
                _byMessage.Add(message, took);
            }
        }

        public bool Took(IOutgoingMessage message, MailBackend backend) =>
            _byMessage.TryGetValue(message, out var took) && took.Contains(backend);
    }
}
