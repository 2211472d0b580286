using System;
using System.Collections.Generic;

namespace PSCompositeMail.Spool
{
    /// <summary>A message kept in a spool folder because it could not be delivered; pipe it to Send-CompositeMail to resend it.</summary>
    public sealed class MailSpoolItem
    {
        /// <param name="fileTime">When the item's file was written: its time in the spool when the metadata has none (damaged).</param>
        /// <param name="now">When it was listed, for <see cref="Age"/>.</param>
        /// <param name="damage">Why it cannot be resent as it is (its metadata is missing or unreadable), or null.</param>
        /// <param name="heldSince">When a resend claimed it, for an item a resend holds; null otherwise.</param>
        /// <param name="claimedFile">Its .eml under its claimed name, for an item a resend holds; null otherwise.</param>
        internal MailSpoolItem(
            string spoolPath,
            string id,
            SpoolMetadata metadata,
            bool poisoned,
            DateTimeOffset fileTime,
            DateTimeOffset now,
            string? damage = null,
            DateTimeOffset? heldSince = null,
            string? claimedFile = null)
        {
            Damage = damage;
            ClaimedFile = claimedFile;
            HeldFor = now - heldSince;
            SpoolPath = spoolPath;
            Id = id;
            Metadata = metadata;
            Poisoned = poisoned;
            var queued = (metadata.FirstFailure > DateTimeOffset.MinValue ? metadata.FirstFailure : fileTime).ToUniversalTime();
            if (queued > now)
            {
                // A clock that was wrong when the item was spooled: a negative age would never become late.
                QueuedInFuture = queued;
                queued = (fileTime < now ? fileTime : now).ToUniversalTime();
            }

            Queued = queued;
            LastAttempt = (metadata.LastFailure > DateTimeOffset.MinValue ? metadata.LastFailure : Queued).ToUniversalTime();
            Age = now - Queued;
        }

        /// <summary>The time its metadata gives when that lies in the future (a clock was wrong); <see cref="Queued"/> is then its file's time, or
        /// now.</summary>
        public DateTimeOffset? QueuedInFuture { get; }

        /// <summary>The spool folder that holds the item.</summary>
        public string SpoolPath { get; }

        public string Id { get; }

        public string MessageId => Metadata.MessageId;

        public string Subject => Metadata.Subject;

        public string From => Metadata.Sender;

        /// <summary>Every envelope recipient, Bcc included (the .eml itself has no Bcc header).</summary>
        public IReadOnlyList<string> To => Metadata.Recipients;

        /// <summary>The backend(s) that failed.</summary>
        public string Backend => string.Join(", ", Metadata.FailedBackends);

        /// <summary>The backends (composites included) that took the message on an earlier attempt; a resend skips them.</summary>
        public IReadOnlyList<string> DeliveredBy => Metadata.DeliveredBackends;

        public string Policy => Metadata.Policy;

        public string Error => Metadata.Error;

        public int Attempts => Metadata.Attempts;

        public DateTimeOffset FirstFailure => Metadata.FirstFailure;

        public DateTimeOffset LastFailure => Metadata.LastFailure;

        /// <summary>When the message was first spooled (UTC); resends keep it.</summary>
        public DateTimeOffset Queued { get; }

        /// <summary>How long it had waited when it was listed.</summary>
        public TimeSpan Age { get; }

        /// <summary>When it last failed (UTC): its first spooling, or its last resend.</summary>
        public DateTimeOffset LastAttempt { get; }

        /// <summary>1 for an item spooled by 0.1.0 (resent without a length and SHA-256 check: it recorded none), 2 since.</summary>
        public int Format => Metadata.Format;

        /// <summary>True when the item was moved to the poison folder after too many attempts.</summary>
        public bool Poisoned { get; }

        /// <summary>The message file, an RFC 5322 .eml.</summary>
        public string MessagePath => System.IO.Path.Combine(Poisoned ? System.IO.Path.Combine(SpoolPath, MailSpool.PoisonFolder) : SpoolPath,
            Id + MailSpool.MessageExtension);

        internal SpoolMetadata Metadata { get; }

        /// <summary>Why it cannot be resent as it is (a resend sets it aside), or null.</summary>
        internal string? Damage { get; }

        /// <summary>For an item a resend holds: how long it had been held when it was listed; null otherwise.</summary>
        internal TimeSpan? HeldFor { get; }

        /// <summary>For an item a resend holds: its .eml under its claimed name; null otherwise.</summary>
        internal string? ClaimedFile { get; }

        /// <summary>Held by a resend whose process has ended: the next listing or resend gives it back.</summary>
        internal bool ClaimAbandoned => ClaimedFile is not null && !MailSpool.IsHeld(ClaimedFile);

        /// <summary>Escaped: the subject and the error may hold control characters (from a CSV, from a server).</summary>
        public override string ToString() => Messages.ControlCharacters.Escape($"{Id}: {Subject} ({Attempts} attempt(s), {Error})");
    }
}
