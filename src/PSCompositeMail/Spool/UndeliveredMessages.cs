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

        public Settlement Settle(IOutgoingMessage message, BackendResult outcome, SpoolClaim? claim)
        {
            if (outcome.Succeeded)
            {
                claim?.Complete();
                return new Settlement(outcome.Results, null, string.Empty);
            }

            var failed = outcome.FailedLeaves().Select(r => r.Backend).ToArray();
            var delivered = DeliveredBackendNames.Of(outcome);
            var error = outcome.Error ?? string.Empty;
            // Recipients that already have the message (a relay accepted it for them) are not spooled again.
            var owed = outcome.OwedOf(message.RecipientAddresses).ToArray();
            try
            {
                if (claim is not null)
                {
                    return claim.Fail(failed, delivered, error, _maxAttempts, owed)
                        ? new Settlement(outcome.Results, null, $" After {claim.Metadata.Attempts} attempts it was moved to the spool's poison folder.")
                        : Spooled(outcome.Results, claim.MessageFile, claim.Item.Poisoned);
                }

                return _spool is null ? new Settlement(outcome.Results, null, string.Empty) : Spooled(outcome.Results, _spool.Add(message, failed, delivered, _policy, error, owed), poisoned: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new Settlement(outcome.Results, null, $" It could not be kept in the spool either: {ex.Message}");
            }
        }

        /// <summary>
        /// The pipeline ended with this message handed over but without an outcome (withdrawn before it was sent, or
        /// cut off by a stop): a claimed item goes back to the spool as it was, any other message into the spool.
        /// </summary>
        public Settlement KeepUnfinished(IOutgoingMessage message, SpoolClaim? claim, IEnumerable<string> backends, string reason)
        {
            if (claim is not null)
            {
                claim.Dispose();
                return new Settlement(NoResults, claim.MessageFile, $" It is back in the spool as {claim.MessageFile}.");
            }

            if (_spool is null)
            {
                return new Settlement(NoResults, null, " Give -SpoolDirectory to keep such messages.");
            }

            try
            {
                // Nothing is known of what any backend took: a resend goes through them all (at least once).
                return Spooled(NoResults, _spool.Add(message, backends, Array.Empty<string>(), _policy, reason), poisoned: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new Settlement(NoResults, null, $" It could not be kept in the spool either: {ex.Message}");
            }
        }

        private static Settlement Spooled(IEnumerable<BackendResult> results, string path, bool poisoned) =>
            new Settlement(
                results.Select(r => r.AsSpooled(path)).ToArray(),
                path,
                poisoned
                    ? $" It stays in the spool's poison folder as {path}; resend it with Get-MailSpool -Poison."
                    : $" It is kept in the spool as {path}; resend it with Get-MailSpool.");
    }

    internal readonly struct Settlement
    {
        public Settlement(IReadOnlyList<BackendResult> results, string? spoolPath, string fate)
        {
            Results = results;
            SpoolPath = spoolPath;
            Fate = fate;
        }

        public IReadOnlyList<BackendResult> Results { get; }

        /// <summary>Where the message now waits in a spool, or null.</summary>
        public string? SpoolPath { get; }

        /// <summary>What the error should add about the message's fate (kept, poisoned, or not even spooled).</summary>
        public string Fate { get; }
    }
}
