using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// For the messages of one pipeline that are resent from a spool: the backends (by name) that took each on an
    /// earlier attempt. A composite skips those, so a resend goes only where the message has not been yet.
    /// Safe across the pipeline's workers; an entry lives as long as its message.
    /// </summary>
    internal sealed class EarlierDeliveries
    {
        private readonly ConditionalWeakTable<IOutgoingMessage, HashSet<string>> _byMessage = new ConditionalWeakTable<IOutgoingMessage,
            HashSet<string>>();

        public void Remember(IOutgoingMessage message, IEnumerable<string> backendNames)
        {
            var names = new HashSet<string>(backendNames, StringComparer.OrdinalIgnoreCase);
            if (names.Count > 0)
            {
                _byMessage.Add(message, names);
            }
        }

        public bool Took(IOutgoingMessage message, string backendName) =>
            _byMessage.TryGetValue(message, out var names) && names.Contains(backendName);
    }
}
