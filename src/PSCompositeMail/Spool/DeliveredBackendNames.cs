using System;
using System.Collections.Generic;
using System.Linq;
using PSCompositeMail.Backends;
using PSCompositeMail.Results;

namespace PSCompositeMail.Spool
{
    /// <summary>What a spooled message remembers about the backends that took it, so that a resend does not send it through them again.</summary>
    internal static class DeliveredBackendNames
    {
        /// <summary>
        /// The backends among <paramref name="answers"/> (each answer once, nested ones included) that took the
        /// message: leaves, and composites whose own policy was met. A name used by more than one backend under
        /// <paramref name="root"/> is left out, whether or not both answered: a resend could not tell which one took
        /// it, and sending a copy twice is better than losing one.
        /// </summary>
        public static IReadOnlyList<string> Of(IEnumerable<BackendResult> answers, CompositeBackend root)
        {
            var ambiguous = root.SharedNames;
            return answers.Where(r => r.Status == DeliveryStatus.Sent && !ambiguous.Contains(r.Backend))
                .Select(r => r.Backend)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToArray();
        }

        /// <summary>
        /// The members, nested ones included, of each composite inside <paramref name="outcome"/> whose own policy was
        /// met: whatever one of them failed, that composite needs nothing more (a Failover's primary, once its backup took it).
        /// </summary>
        public static IEnumerable<string> Covered(BackendResult outcome) =>
            Within(outcome).Where(r => r.Status == DeliveryStatus.Sent && r.Results.Count > 0).SelectMany(Within).Select(r => r.Backend);

        /// <summary>Every answer inside a composite's outcome (not the outcome itself), nested ones included.</summary>
        public static IEnumerable<BackendResult> Within(BackendResult outcome) => outcome.Results.SelectMany(r => new[] { r }.Concat(Within(r)));
    }
}
