using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Spool
{
    /// <summary>How a spool is doing, as Test-MailSpool reports it: what waits, for how long, and what failed too often.</summary>
    public sealed class SpoolHealth
    {
        /// <param name="listed">Every item of the spool or its poison folder, <paramref name="poison"/> of them in the poison folder.</param>
        /// <param name="unsendable">Files in the spool or its poison folder that a listing or resend would set aside, with the reason.</param>
        private SpoolHealth(
            string path,
            TimeSpan maxAge,
            IReadOnlyList<MailSpoolItem> listed,
            IReadOnlyList<string> damaged,
            IReadOnlyList<(string File, string Reason)> unsendable)
        {
            var waiting = listed.Where(item => !item.Poisoned && item.Damage is null).ToArray();
            DamagedItems = damaged;
            Path = path;
            MaxAge = maxAge;
            Items = waiting;
            PoisonItems = listed.Where(item => item.Poisoned && item.Damage is null).ToArray();
            Unsendable = listed.Where(item => item.Damage is not null).Select(item => (item.ClaimedFile ?? item.MessagePath, item.Damage!))
                .Concat(unsendable).ToArray();
            Late = waiting.Where(item => item.Age > maxAge).ToArray();
            Oldest = waiting.Length == 0 ? null : waiting.Max(item => item.Age);
            // A damaged item counts once, as damaged: what it needs is someone to look at it, whoever holds it.
            Stuck = listed.Where(item => item.HeldFor > maxAge && item.Damage is null).ToArray();
        }

        /// <summary>The spool folder.</summary>
        public string Path { get; }

        /// <summary>Nothing in the poison or damaged folder, and nothing waiting longer than <see cref="MaxAge"/>.</summary>
        public bool Healthy => PoisonItems.Count == 0 && Damaged == 0 && Late.Count == 0 && Stuck.Count == 0;

        /// <summary>How many messages wait for a resend (those a resend holds at this moment included).</summary>
        public int Waiting => Items.Count;

        /// <summary>How long the oldest waiting message has waited; null when none waits.</summary>
        public TimeSpan? Oldest { get; }

        /// <summary>How many messages are in the poison folder: they failed too often and are not resent by themselves.</summary>
        public int Poison => PoisonItems.Count;

        /// <summary>
        /// How many items cannot be resent as they are: those set aside in the damaged folder (they stay there until
        /// someone looks), and those a listing or resend would set aside (an .eml without its metadata, an old .meta without its .eml).
        /// </summary>
        public int Damaged => DamagedItems.Count + Unsendable.Count;

        /// <summary>The notes (.reason files) of the items in the damaged folder, each saying why it was set aside.</summary>
        public IReadOnlyList<string> DamagedItems { get; }

        /// <summary>The files still in the spool (or its poison folder) that a listing or resend would set aside as damaged.</summary>
        public IReadOnlyList<string> DamagedInPlace => Unsendable.Select(damaged => damaged.File).ToArray();

        /// <summary>
        /// Items a resend has held longer than <see cref="MaxAge"/>: a resend holds one for the time it takes to send
        /// it, so such a claim is stuck (a listing gives one back only once its process has ended).
        /// </summary>
        public IReadOnlyList<MailSpoolItem> Stuck { get; }

        private IReadOnlyList<(string File, string Reason)> Unsendable { get; }

        /// <summary>How long a message may wait before it is late.</summary>
        public TimeSpan MaxAge { get; }

        /// <summary>The waiting messages, oldest first.</summary>
        public IReadOnlyList<MailSpoolItem> Items { get; }

        /// <summary>The waiting messages older than <see cref="MaxAge"/>.</summary>
        public IReadOnlyList<MailSpoolItem> Late { get; }

        /// <summary>The messages in the poison folder.</summary>
        public IReadOnlyList<MailSpoolItem> PoisonItems { get; }

        /// <summary>One warning per late item and per poison item (its subject, age and last error), per item spooled "in the future" (a wrong
        /// clock), and per damaged item (its note and reason).</summary>
        public IEnumerable<string> Warnings =>
            Late.Select(item => $"{Title(item)} has waited {Describe(item.Age)} in the spool, longer than " +
                $"{Describe(MaxAge)}; last error: {item.Error}")
                .Concat(PoisonItems.Select(item =>
                    $"{Title(item)} is in the poison folder after {item.Attempts} attempt(s), {Describe(item.Age)} after it " +
                    $"was spooled; it is not resent by itself (Get-MailSpool -Poison); last error: {item.Error}"))
                .Concat(Items.Concat(PoisonItems).Where(item => item.QueuedInFuture is not null)
                    .Select(item => $"{Title(item)} says it was spooled at {item.QueuedInFuture:u}, in the future (a clock " +
                    $"was wrong): its age counts from {item.Queued:u}"))
                .Concat(DamagedItems.Select(note =>
                    $"'{System.IO.Path.GetFileName(note)}' is in the damaged folder {System.IO.Path.GetDirectoryName(note)}: " +
                    $"it cannot be resent as it is; {ReadNote(note)}"))
                .Concat(Unsendable.Select(damaged =>
                    $"'{System.IO.Path.GetFileName(damaged.File)}' in {System.IO.Path.GetDirectoryName(damaged.File)} " +
                    $"cannot be resent as it is ({damaged.Reason}); the next Get-MailSpool or resend sets it aside in the damaged folder"))
                .Concat(Stuck.Select(item =>
                    $"{Title(item)} ({item.Id}) has been held by a resend for {Describe(item.HeldFor!.Value)}, longer than {Describe(MaxAge)}: " +
                    (item.ClaimAbandoned
                        ? "the process named in its file name has ended, so the next Get-MailSpool or resend gives it back"
                        : "its claim is stuck while the process named in its file name may still run (or ran in another PID namespace)")));

        /// <summary>How a warning names an item: its subject and Message-Id, when its metadata gives them.</summary>
        private static string Title(MailSpoolItem item) =>
            string.IsNullOrEmpty(item.Subject) && string.IsNullOrEmpty(item.MessageId) ? "(subject unknown)" : $"'{item.Subject}' <{item.MessageId}>";

        /// <summary>Reads the spool without changing it.</summary>
        internal static SpoolHealth Check(MailSpool spool, TimeSpan maxAge) =>
            new SpoolHealth(
                spool.Path,
                maxAge,
                spool.Inspect().Concat(spool.Inspect(poisoned: true)).OrderBy(item => item.Queued).ToArray(),
                spool.DamagedNotes(),
                spool.InspectOrphanMetadata().Concat(spool.InspectOrphanMetadata(poisoned: true)).ToArray());

        /// <summary>A note's first line (when and why it was set aside), read only if it is a regular file the spool wrote.</summary>
        private static string ReadNote(string note)
        {
            try
            {
                SpoolFile.EnsureRegular(note, "its note");
                using var reader = new System.IO.StreamReader(note);
                var line = reader.ReadLine() ?? string.Empty;
                return line.Length > 2000 ? line.Substring(0, 2000) + "..." : line;
            }
            catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException or System.IO.InvalidDataException)
            {
                return $"its note cannot be read ({ex.Message})";
            }
        }

        /// <summary>
        /// An age as people say it: 3d 4h, 5h 12m, 7m 30s; from 100 days on the days alone (2532d), which keeps it
        /// within the 7 characters of the spool table's Age column for any date a spool item can carry.
        /// </summary>
        public static string Describe(TimeSpan age)
        {
            age = age < TimeSpan.Zero ? TimeSpan.Zero : age;
            return string.Format(
                CultureInfo.InvariantCulture,
                age.TotalDays >= 100 ? "{0}d" : age.TotalDays >= 1 ? "{0}d {1}h" : age.TotalHours >= 1 ? "{1}h {2}m" : "{2}m {3}s",
                (int)age.TotalDays,
                age.Hours,
                age.Minutes,
                age.Seconds);
        }

        public override string ToString() =>
            ControlCharacters.Escape(
                $"{(Healthy ? "Healthy" : "Unhealthy")}: {Waiting} waiting (oldest {(Oldest is { } oldest ? Describe(oldest) : "none")}), {Poison} " +
                $"poison, {Damaged} damaged, in {Path}");
    }
}
