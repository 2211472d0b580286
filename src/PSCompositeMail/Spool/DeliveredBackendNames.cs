using System;
using System.Collections.Generic;
using System.Linq;
using PSCompositeMail.Results;

namespace PSCompositeMail.Spool
{
    /// <summary>What a spooled message remembers about the backends that took it, so that a resend does not send it through them again.</summary>
    internal static class DeliveredBackendNames
    {
        /// <summary>
        /// The backends inside <paramref name="outcome"/> (a pipeline's root composite) that took the message: leaves,
        /// and composites whose own policy was met. A name used by more than one backend is left out: a resend could
        /// not tell which one took it, and sending a copy twice is better than losing one.
        /// </summary>
        public static IReadOnlyList<string> Of(BackendResult outcome)
        {
            var all = outcome.Results.SelectMany(Flatten).ToArray();
            var unique = new HashSet<string>(
                all.GroupBy(r => r.Backend, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() == 1).Select(g => g.Key),
                StringComparer.OrdinalIgnoreCase);
            return all.Where(r => r.Status == DeliveryStatus.Sent && unique.Contains(r.Backend)).Select(r => r.Backend).ToArray();
        }

        private static IEnumerable<BackendResult> Flatten(BackendResult result) => new[] { result }.Concat(result.Results.SelectMany(Flatten));
    }
}
