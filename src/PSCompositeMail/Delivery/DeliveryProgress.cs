using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// What each message's backends have answered so far in this pipeline, recorded as each answers. A delivery cut
    /// off by a stop has no outcome, and without this the backends that took the message before the stop (a relay
    /// that answered 250 while a slow script block still ran) would be forgotten, and a resend would send it through
    /// them again. Safe across the pipeline's workers; an entry lives as long as its message.
    /// </summary>
    internal sealed class DeliveryProgress
    {
        private readonly ConditionalWeakTable<IOutgoingMessage, List<BackendResult>> _answers = new ConditionalWeakTable<IOutgoingMessage,
            List<BackendResult>>();
        private readonly ConditionalWeakTable<IOutgoingMessage, IOutgoingMessage> _narrowedFrom = new ConditionalWeakTable<IOutgoingMessage,
            IOutgoingMessage>();

        /// <summary>A member of a composite answered for <paramref name="message"/> (or a copy narrowed from it).</summary>
        public void Record(IOutgoingMessage message, BackendResult answer)
        {
            var answers = _answers.GetValue(Original(message), _ => new List<BackendResult>());
            lock (answers)
            {
                answers.Add(answer);
            }
        }

        /// <summary><paramref name="narrower"/> is <paramref name="message"/> for fewer recipients: its answers are the message's.</summary>
        public void Narrowed(IOutgoingMessage narrower, IOutgoingMessage message) => _narrowedFrom.Add(narrower, Original(message));

        /// <summary>Every answer recorded for the message, each once (a composite's answer does not repeat its members').</summary>
        public IReadOnlyList<BackendResult> AnswersFor(IOutgoingMessage message)
        {
            if (!_answers.TryGetValue(message, out var answers))
            {
                return new BackendResult[0];
            }

            lock (answers)
            {
                return answers.ToArray();
            }
        }

        private IOutgoingMessage Original(IOutgoingMessage message) => _narrowedFrom.TryGetValue(message, out var original) ? original : message;
    }
}
