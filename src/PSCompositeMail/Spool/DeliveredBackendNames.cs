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
            root.Descendants().Distinct().Where(b => names.Any(name => Means(name, b, root)));

        /// <summary>
        /// The backends of a ledger that took the message, in the ledger names of those under <paramref name="root"/> (the
        /// resend's), so that they compare exactly from then on. A namesake counts only where it sends as recorded in
        /// <paramref name="whereSent"/>: namesakes given in another order are owed the message (at worst a second copy), never
        /// skipped in each other's place. A name that means none of them is kept as it is.
        /// </summary>
        public static string[] TookIt(IEnumerable<string> names, IReadOnlyDictionary<string, string> whereSent, CompositeBackend root) =>
            names.SelectMany(name =>
                {
                    var meant = Among(new[] { name }, root).ToArray();
                    return meant.Length == 0
                        ? new[] { name }
                        : meant.Where(b => !whereSent.TryGetValue(name, out var where) || where == b.Description).Select(root.LedgerName);
                })
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToArray();

        /// <summary>
        /// The backends of a ledger that are owed the message, in the ledger names of those under <paramref name="root"/>:
        /// those the names mean, and each namesake that sends where <paramref name="whereSent"/> recorded one of them did.
        /// A name that means none of them is kept as it is.
        /// </summary>
        public static string[] OwedTo(IEnumerable<string> names, IReadOnlyDictionary<string, string> whereSent, CompositeBackend root) =>
            names.SelectMany(name =>
                {
                    var sentThere = whereSent.TryGetValue(name, out var where)
                        ? root.Descendants().Where(b => Same(b.Name, PlainName(name)) && b.Description == where)
                        : Enumerable.Empty<MailBackend>();
                    return Among(new[] { name }, root).Concat(sentThere).Select(root.LedgerName).DefaultIfEmpty(name);
                })
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToArray();

        /// <summary>
        /// Whether ledger entry <paramref name="name"/> means <paramref name="backend"/> under <paramref name="root"/>: its
        /// ledger name, made as when sending, exactly. Beside that, a plain name from a ledger written before namesakes were
        /// told apart, which cannot say which one it meant, means every namesake of that name; and a namesake's 'name#k'
        /// means the one backend this run has of that name, unless a backend here is named 'name#k' itself (then a
        /// backend named 'relay' is never taken for one named 'relay#2').
        /// </summary>
        private static bool Means(string name, MailBackend backend, CompositeBackend root)
        {
            var ledgerName = root.LedgerName(backend);
            return Same(name, ledgerName) ||
                Same(name, backend.Name) ||
                (Same(PlainName(name), ledgerName) && !root.Descendants().Any(other => Same(name, root.LedgerName(other))));
        }

        /// <summary>Whether two ledger names, made from the same backends, are the same (in any letter case).</summary>
        public static bool Same(string left, string right) => string.Equals(left, right, StringComparison.OrdinalIgnoreCase);

        /// <summary>The names of <paramref name="names"/> that none of <paramref name="others"/> means.</summary>
        public static string[] Except(IEnumerable<string> names, IEnumerable<string> others) =>
            names.Where(name => !others.Any(other => Same(name, other))).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

        private static string Named(BackendResult result) => result.LedgerName ?? result.Backend;

        private static string PlainName(string name) => NamesakePlace.Replace(name, string.Empty);

        private static readonly Regex NamesakePlace = new Regex("#[0-9]+$", RegexOptions.CultureInvariant);
    }
}
