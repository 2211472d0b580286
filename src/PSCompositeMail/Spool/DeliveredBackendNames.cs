using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using PSCompositeMail.Backends;
using PSCompositeMail.Results;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// What a spooled message remembers about the backends that took it and those that failed it, so that a resend
    /// sends it through each of them once: names as <see cref="CompositeBackend.LedgerName"/> gives them ('smtp#2'
    /// for the second of two backends named 'smtp').
    /// </summary>
    internal static class DeliveredBackendNames
    {
        /// <summary>
        /// The backends among <paramref name="answers"/> (each answer once, nested ones included) that took the
        /// message: leaves, and composites whose own policy was met.
        /// </summary>
        public static IReadOnlyList<string> Of(IEnumerable<BackendResult> answers) =>
            answers.Where(r => r.Status == DeliveryStatus.Sent)
                .Select(Named)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToArray();

        /// <summary>The backends that failed at the deepest level inside <paramref name="outcome"/>.</summary>
        public static IEnumerable<string> Failed(BackendResult outcome) =>
            outcome.Results.SelectMany(r => r.FailedLeaves()).Select(Named);

        /// <summary>
        /// The members, nested ones included, of each composite inside <paramref name="outcome"/> whose own policy was
        /// met: whatever one of them failed, that composite needs nothing more (a Failover's primary, once its backup took it).
        /// </summary>
        public static IEnumerable<string> Covered(BackendResult outcome) =>
            Within(outcome).Where(r => r.Status == DeliveryStatus.Sent && r.Results.Count > 0).SelectMany(Within).Select(Named);

        /// <summary>Every answer inside a composite's outcome (not the outcome itself), nested ones included.</summary>
        public static IEnumerable<BackendResult> Within(BackendResult outcome) => outcome.Results.SelectMany(r => new[] { r }.Concat(Within(r)));

        /// <summary>The backends under <paramref name="root"/> that <paramref name="names"/> (a ledger) mean.</summary>
        public static IEnumerable<MailBackend> Among(IEnumerable<string> names, CompositeBackend root) =>
            root.Descendants().Where(b => names.Any(name => Same(name, root.LedgerName(b))));

        /// <summary>
        /// Whether two ledger names mean the same backend: the same name, or a plain name and a namesake's 'name#k'.
        /// A plain name for a name that backends share comes from a ledger written before namesakes were told apart,
        /// which cannot say which one it meant; a 'name#k' where the backends of this run have one 'name' means that one.
        /// </summary>
        public static bool Same(string left, string right) =>
            string.Equals(left, right, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(left, PlainName(right), StringComparison.OrdinalIgnoreCase) ||
            string.Equals(PlainName(left), right, StringComparison.OrdinalIgnoreCase);

        /// <summary>The names of <paramref name="names"/> that none of <paramref name="others"/> means.</summary>
        public static string[] Except(IEnumerable<string> names, IEnumerable<string> others) =>
            names.Where(name => !others.Any(other => Same(name, other))).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

        private static string Named(BackendResult result) => result.LedgerName ?? result.Backend;

        private static string PlainName(string name) => NamesakePlace.Replace(name, string.Empty);

        private static readonly Regex NamesakePlace = new Regex("#[0-9]+$", RegexOptions.CultureInvariant);
    }
}
