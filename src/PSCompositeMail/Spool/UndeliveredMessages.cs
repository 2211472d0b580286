using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// Decides what becomes of a message once its outcome is known, so that none is lost: a resent spool item
    /// leaves the spool, or has its attempt recorded (and goes to poison after too many); any other message that
    /// was not delivered goes into the spool, when there is one.
    /// </summary>
    internal sealed class UndeliveredMessages
    {
        private static readonly IReadOnlyList<BackendResult> NoResults = Array.Empty<BackendResult>();
        private readonly MailSpool? _spool;
        private readonly string _policy;
        private readonly int _maxAttempts;

        public UndeliveredMessages(MailSpool? spool, string policy, int maxAttempts)
        {
            _spool = spool;
            _policy = policy;
            _maxAttempts = maxAttempts;
        }

        /// <summary>Where each namesake among the backends sent (see <see cref="SpoolMetadata.NamesakeDescriptions"/>), for new items.</summary>
        public IReadOnlyDictionary<string, string> NamesakeDescriptions { get; set; } = new Dictionary<string, string>();

        /// <param name="delivered">The backends that took the message on this attempt (see <see cref="DeliveredBackendNames"/>).</param>
        /// <param name="historyIgnored">-IncludeDeliveredBackends: the resend's policy alone decides, whatever failed the item before.</param>
        public Settlement Settle(IOutgoingMessage message, BackendResult outcome, SpoolClaim? claim, IReadOnlyList<string> delivered,
            bool historyIgnored)
        {
            // A resent item leaves the spool only once the backends that failed it have taken it: a resend whose
            // policy was met by earlier deliveries alone (a skipped archive under Any) delivered nothing new.
            // A member of a composite whose own policy was met now (the primary of a Failover whose backup took it) is owed nothing more.
            var shortfall = claim is null || historyIgnored
                ? null
                : claim.Shortfall(delivered.Concat(DeliveredBackendNames.Covered(outcome)).ToArray());
            if (outcome.Succeeded && shortfall is null)
            {
                claim?.Complete();
                return new Settlement(outcome.Results, null, string.Empty);
            }

            // Also under a policy that was met: a member that failed is still named (the relay, when only a skipped archive counted).
            var failedNow = outcome.Results.SelectMany(r => r.FailedLeaves()).ToArray();
            var failed = DeliveredBackendNames.Failed(outcome).Concat(shortfall ?? Array.Empty<string>()).ToArray();
            var error = outcome.Error ?? (shortfall is null ? string.Empty : StillOwed(shortfall, failedNow));
            // Recipients that already have the message (a relay accepted it for them) are not spooled again; a policy
            // met without the backends still owed leaves every recipient owed.
            var owed = outcome.Succeeded ? message.RecipientAddresses.ToArray() : outcome.OwedOf(message.RecipientAddresses).ToArray();
            if (claim is not null)
            {
                try
                {
                    return claim.Fail(failed, delivered, error, _maxAttempts, owed)
                        ? new Settlement(
                            outcome.Results,
                            claim.PoisonFile,
                            $" After {claim.Metadata.Attempts} attempts it was moved to the spool's poison folder as {claim.PoisonFile}; " +
                            "resend it on purpose with Get-MailSpool -Poison.",
                            error,
                            poisoned: true)
                        : Spooled(outcome.Results, claim.MessageFile, claim.Item.Poisoned, error);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return NotRecorded(outcome.Results, claim, ex, error);
                }
            }

            if (_spool is null)
            {
                return new Settlement(outcome.Results, null, string.Empty, error);
            }

            try
            {
                var spooled = _spool.Add(message, failed, delivered, _policy, error, owed, NamesakeDescriptions);
                return Spooled(outcome.Results, spooled, poisoned: false, error);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new Settlement(outcome.Results, null, $" It is not in the spool either: writing it there failed ({ex.Message}).", error);
            }
        }

        private static string StillOwed(IReadOnlyList<string> shortfall, IReadOnlyList<BackendResult> failedNow) =>
            $"it is still owed to {string.Join(", ", shortfall)}, which failed it on an earlier attempt and did not take it now" +
            (failedNow.Count > 0
                ? ": " + BackendResult.DescribeFailures(failedNow.Select(r => (r.Backend, r.Error)))
                : " (it was not tried: not in this resend, or skipped under its policy)");

        /// <summary>
        /// The pipeline ended with this message handed over but without an outcome (withdrawn before it was sent, or
        /// cut off by a stop): a claimed item goes back to the spool, any other message into the spool, each
        /// remembering the backends that took it before the end (<paramref name="delivered"/>) so that a resend skips them.
        /// </summary>
        public Settlement KeepUnfinished(IOutgoingMessage message, SpoolClaim? claim, IEnumerable<string> backends, IReadOnlyList<string> delivered,
            string reason)
        {
            if (claim is not null)
            {
                try
                {
                    var back = claim.Return(delivered);
                    return new Settlement(NoResults, back, $" It is back in the spool as {back}.", reason, claim.Item.Poisoned);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return NotRecorded(NoResults, claim, ex, reason);
                }
            }

            if (_spool is null)
            {
                return new Settlement(NoResults, null, " Give -SpoolDirectory to keep such messages.", reason);
            }

            try
            {
                var owedBackends = DeliveredBackendNames.Except(backends, delivered);
                var spooled = _spool.Add(message, owedBackends, delivered, _policy, reason, namesakeDescriptions: NamesakeDescriptions);
                return Spooled(NoResults, spooled, poisoned: false, reason);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new Settlement(NoResults, null, $" It is not in the spool either: writing it there failed ({ex.Message}).", reason);
            }
        }

        /// <summary>A resent item whose new state could not be written (a full disk): it goes back as it was, and the fate says exactly where it
        /// is.</summary>
        private static Settlement NotRecorded(IEnumerable<BackendResult> results, SpoolClaim claim, Exception problem, string error)
        {
            var where = claim.GiveBack();
            var fate = where == claim.MessageFile
                ? $" This attempt could not be recorded in the spool ({problem.Message}): the item is back in the spool unchanged as {where}; " +
                    "resend it with Get-MailSpool."
                : $" This attempt could not be recorded in the spool ({problem.Message}), and the item could not be put back either: it is still " +
                    $"in the spool folder as {where}, " +
                    "and a listing after this process has ended gives it back.";
            return Spooled(results, where, claim.Item.Poisoned, error, fate);
        }

        private static Settlement Spooled(IEnumerable<BackendResult> results, string path, bool poisoned, string error, string? fate = null) =>
            new Settlement(
                results.Select(r => r.AsSpooled(path)).ToArray(),
                path,
                fate ?? (poisoned
                    ? $" It stays in the spool's poison folder as {path}; resend it with Get-MailSpool -Poison."
                    : $" It is kept in the spool as {path}; resend it with Get-MailSpool."),
                error,
                poisoned);
    }

    internal readonly struct Settlement
    {
        public Settlement(IReadOnlyList<BackendResult> results, string? spoolPath, string fate, string? error = null, bool poisoned = false)
        {
            Poisoned = poisoned;
            Results = results;
            SpoolPath = spoolPath;
            Fate = fate;
            Error = error;
        }

        /// <summary>Whether the message counts as delivered: its policy was met, and a resent item is owed to no backend any more.</summary>
        public bool Delivered => Error is null;

        /// <summary>Why it was not delivered; null when it was.</summary>
        public string? Error { get; }

        public IReadOnlyList<BackendResult> Results { get; }

        /// <summary>Where the message now waits in a spool, or null.</summary>
        public string? SpoolPath { get; }

        /// <summary>Whether <see cref="SpoolPath"/> is in the spool's poison folder, where it waits for no one until resent on purpose.</summary>
        public bool Poisoned { get; }

        /// <summary>What the error should add about the message's fate (kept, poisoned, or not even spooled).</summary>
        public string Fate { get; }
    }
}
