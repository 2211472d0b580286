using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>Several backends behind one, under a <see cref="DeliveryPolicy"/>. A composite is a backend, so composites nest.</summary>
    public sealed class CompositeBackend : MailBackend
    {
        public CompositeBackend(string? name, IEnumerable<MailBackend> backends, DeliveryPolicy policy)
            : base(name, MailBackendKind.Composite)
        {
            Backends = backends.ToArray();
            Policy = policy;
            _descriptionIsFixed = Backends.All(b => b.DescriptionIsFixed);
            if (Backends.Count == 0)
            {
                throw new ArgumentException("A composite needs at least one backend.", nameof(backends));
            }
        }

        public IReadOnlyList<MailBackend> Backends { get; }

        public DeliveryPolicy Policy { get; }

        /// <summary>Every backend under this one, nested ones included (not this one).</summary>
        internal IEnumerable<MailBackend> Descendants() =>
            Backends.SelectMany(b => new[] { b }.Concat(b is CompositeBackend nested ? nested.Descendants() : Enumerable.Empty<MailBackend>()));

        private Dictionary<MailBackend, string>? _ledgerNames;

        /// <summary>
        /// The name a spool's ledger (the backends that failed an item and those that took it) gives a backend under
        /// this one: its own name, or, for backends that share one in any letter case (a composite's members left with
        /// their default names: two 'smtp'), the name and its place among the namesakes, 'smtp#2', as Reason numbers
        /// them, so that a resend skips the one that took the message and not its namesake. Found once: the members never change.
        /// </summary>
        internal string LedgerName(MailBackend backend) =>
            (_ledgerNames ??= LedgerNames()).TryGetValue(backend, out var name) ? name : backend.Name;

        /// <summary>Where each namesake under this one sends, by its ledger name ('smtp#2'): see <see cref="LedgerName"/>.</summary>
        internal IReadOnlyDictionary<string, string> NamesakeDescriptions() =>
            Descendants().Distinct().Where(b => !string.Equals(LedgerName(b), b.Name, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(LedgerName, b => b.Description, StringComparer.OrdinalIgnoreCase);

        private Dictionary<MailBackend, string> LedgerNames()
        {
            var names = new Dictionary<MailBackend, string>();
            // One backend object given twice is one backend: it took the message or not.
            foreach (var namesakes in Descendants().Distinct().GroupBy(b => b.Name, StringComparer.OrdinalIgnoreCase))
            {
                var shared = namesakes.Skip(1).Any();
                var place = 0;
                foreach (var backend in namesakes)
                {
                    names[backend] = shared ? $"{backend.Name}#{++place}" : backend.Name;
                }
            }

            return names;
        }

        private readonly bool _descriptionIsFixed;

        internal override bool DescriptionIsFixed => _descriptionIsFixed;

        public override string Description => $"{Policy} of {string.Join(", ", Backends.Select((b, i) => b.Name + NamesakeSuffix(i)))}";

        /// <summary>
        /// What tells member <paramref name="index"/> from members of the same name (two left with the default 'smtp'), as
        /// Reason does: " #2 (where it sends)"; empty when its name is its own.
        /// </summary>
        private string NamesakeSuffix(int index)
        {
            var name = Backends[index].Name;
            bool Namesake(MailBackend other) => string.Equals(other.Name, name, StringComparison.OrdinalIgnoreCase);
            return Backends.Count(Namesake) < 2
                ? string.Empty
                : $" #{Backends.Take(index).Count(Namesake) + 1} ({Backends[index].Description})";
        }

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context, root: this);

        /// <summary>
        /// Tests every member: the composite succeeds when its policy could deliver, and each member that failed its
        /// check is named in the detail and in a warning even then (a Failover whose primary is dead still delivers,
        /// through its backup, but should not pass a pre-flight check in silence). A test message goes through each
        /// member, never through the composite as a whole.
        /// </summary>
        internal override BackendTestResult Check(DeliveryContext context, TestMessageRequest? testMessage)
        {
            var clock = Stopwatch.StartNew();
            var results = Backends.Select(b => b.Check(context, testMessage)).ToArray();
            var succeeded = Decide(Policy, results.Select(r => r.Succeeded ? DeliveryStatus.Sent : DeliveryStatus.Failed).ToArray());
            for (var i = 0; i < results.Length; i++)
            {
                results[i].Label = results[i].Backend + NamesakeSuffix(i);
            }

            var failed = results.Select((r, i) => (Result: r, Index: i)).Where(m => !m.Result.Succeeded).ToArray();
            var failures = string.Join(
                "; ", failed.Select(m => BackendResult.DescribeFailure($"'{m.Result.Backend}'{NamesakeSuffix(m.Index)}", m.Result.Error)));
            var error = succeeded || failed.Length == 0 ? null : new InvalidOperationException(failures);
            if (succeeded && failed.Length > 0)
            {
                context.Warning($"{Name}: the check passed under policy {Policy}, but " + failures);
            }

            var detail = $"{Policy}: " + string.Join("; ", results.Select(r => r.Succeeded ? $"{r.Label} passed" : $"{r.Label} FAILED ({r.Error})"));
            return new BackendTestResult(Name, Kind, succeeded, clock.Elapsed, detail, error) { Results = results };
        }

        /// <summary>Whether a message counts as delivered, given each backend's status in order.</summary>
        internal static bool Decide(DeliveryPolicy policy, IReadOnlyList<DeliveryStatus> statuses)
        {
            bool Delivered(DeliveryStatus s) => s == DeliveryStatus.Sent;
            return policy switch
            {
                DeliveryPolicy.All => statuses.All(Delivered),
                DeliveryPolicy.Primary => statuses.Count > 0 && Delivered(statuses[0]),
                _ => statuses.Any(Delivered),
            };
        }

        private sealed class Session : IDeliverySession
        {
            private readonly CompositeBackend _composite;
            private readonly DeliveryContext _context;
            private readonly IDeliverySession?[] _sessions;

            /// <summary>The composite the delivery started from, whose <see cref="LedgerName"/> names this one's members.</summary>
            private readonly CompositeBackend _root;

            public Session(CompositeBackend composite, DeliveryContext context, CompositeBackend root)
            {
                _composite = composite;
                _context = context;
                _root = root;
                _sessions = new IDeliverySession?[composite.Backends.Count];
            }

            /// <summary>
            /// Under Failover each backend gets the message for the recipients the ones before it still owe (all of
            /// them after a plain failure, the refused ones after a partial delivery), so no one gets it twice; under
            /// the other policies every backend gets the whole message. What the composite still owes, when it fails,
            /// is every recipient some failed backend still owes.
            /// </summary>
            public BackendResult Deliver(IOutgoingMessage message)
            {
                var clock = Stopwatch.StartNew();
                var results = new BackendResult[_sessions.Length];
                var owed = new List<string>();
                var handed = message;
                var delivered = false;
                try
                {
                    for (var i = 0; i < _sessions.Length; i++)
                    {
                        var backend = _composite.Backends[i];
                        if (delivered && _composite.Policy == DeliveryPolicy.Failover)
                        {
                            results[i] = Made(new BackendResult(backend.Name, backend.Kind, DeliveryStatus.Skipped, TimeSpan.Zero), backend);
                            continue;
                        }

                        results[i] = Made(
                            _context.EarlierDeliveries.Took(message, _root.LedgerName(backend))
                                ? BackendResult.SkippedAsDeliveredEarlier(backend.Name, backend.Kind)
                                : DeliverThrough(i, handed),
                            backend);
                        _context.Progress.Record(message, results[i]);
                        delivered |= CountsAsDelivered(results[i]);
                        var stillOwed = results[i].OwedOf(handed.RecipientAddresses).ToArray();
                        if (_composite.Policy != DeliveryPolicy.Failover)
                        {
                            if (stillOwed.Length > 0)
                            {
                                owed.AddRange(stillOwed.Except(owed, StringComparer.OrdinalIgnoreCase));
                            }

                            continue;
                        }

                        // Failover: what the last backend tried still owes is all that is owed.
                        owed = stillOwed.ToList();
                        if (stillOwed.Length > 0 && stillOwed.Length < handed.RecipientAddresses.Count)
                        {
                            var narrower = message.ForRecipients(stillOwed);
                            _context.Progress.Narrowed(narrower, message);
                            DisposeIfNarrowed(handed, message);
                            handed = narrower;
                        }
                    }
                }
                finally
                {
                    DisposeIfNarrowed(handed, message);
                }

                var succeeded = Decide(_composite.Policy, results.Select(r => CountsAsDelivered(r) ? DeliveryStatus.Sent : r.Status).ToArray());
                var failed = results.Where(r => r.Status == DeliveryStatus.Failed).ToArray();
                string? partly = null;
                if (succeeded && failed.Length > 0)
                {
                    // Also the composite's Detail, so that its row in a result table does not look like a plain success.
                    partly = $"delivered through {string.Join(", ", results.Where(CountsAsDelivered).Select(DescribeDelivery))} only: " +
                        BackendResult.DescribeFailures(results, failed);
                    _context.Warning($"'{message.Subject}' <{message.MessageId}> was {partly}");
                }

                var error = succeeded
                    ? null
                    : new MailDeliveryException(BackendResult.DescribeFailures(results, failed), failed.SelectMany(r => r.FailedLeaves()));
                return new BackendResult(
                    _composite.Name,
                    _composite.Kind,
                    succeeded ? DeliveryStatus.Sent : DeliveryStatus.Failed,
                    clock.Elapsed,
                    error,
                    results,
                    rejectedRecipients: RefusedByAnyMember(results),
                    detail: partly,
                    pendingRecipients: succeeded ? null : owed);
            }

            /// <summary><paramref name="result"/>, saying which member made it: where it sends, and how the spool's ledger names it.</summary>
            private BackendResult Made(BackendResult result, MailBackend member) =>
                result.DescribedBy(member.DescriptionIn(_context)).InLedgerAs(_root.LedgerName(member));

            private static void DisposeIfNarrowed(IOutgoingMessage handed, IOutgoingMessage message)
            {
                if (!ReferenceEquals(handed, message))
                {
                    handed.Dispose();
                }
            }

            /// <summary>A recipient a member refused for good is refused at the composite's level too, whatever the others did.</summary>
            private static string[] RefusedByAnyMember(IReadOnlyList<BackendResult> results) =>
                results.All(r => r.RejectedRecipients.Count == 0) ? Array.Empty<string>()
                    : results.SelectMany(r => r.RejectedRecipients).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

            private static bool CountsAsDelivered(BackendResult result) => result.Status == DeliveryStatus.Sent || result.DeliveredEarlier;

            private static string DescribeDelivery(BackendResult result) =>
                result.DeliveredEarlier ? $"{result.Backend} (on an earlier attempt)" : result.Backend;

            /// <summary>A backend that breaks its contract by throwing must not stop the others.</summary>
            private BackendResult DeliverThrough(int index, IOutgoingMessage message) =>
                DeliveryAttempt.Deliver(_composite.Backends[index].Name, _composite.Backends[index].Kind, _context.CancellationToken, () =>
                {
                    // A nested composite's members are named in the ledger among all of the root's.
                    var member = _composite.Backends[index];
                    var session = _sessions[index] ??=
                        member is CompositeBackend nested ? new Session(nested, _context, _root) : member.OpenSession(_context);
                    return session.Deliver(message);
                });

            public void Dispose()
            {
                foreach (var session in _sessions)
                {
                    session?.Dispose();
                }
            }
        }
    }
}
