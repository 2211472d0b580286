using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// A folder of messages that could not be delivered. Each item is an .eml (the message as it would go on
    /// the wire) and a .meta file (envelope, the backends that already took it, failure history, and the .eml's
    /// length and SHA-256). The .eml is written to a hidden file while it is digested, the .meta is written, and
    /// only then is the .eml renamed into place, each step atomic: an item exists exactly when its .eml does, and
    /// a crash never leaves half of one.
    /// A resend claims an item by renaming its .eml, which only one process can do; a claim whose process
    /// died is given back the next time the spool is listed. Items that failed too often wait in the poison
    /// folder, and items that cannot be resent safely in the damaged folder, each with its reason.
    /// </summary>
    internal sealed class MailSpool
    {
        public const string MessageExtension = ".eml";
        public const string MetadataExtension = ".meta";
        public const string ReasonExtension = ".reason";
        public const string PoisonFolder = "poison";
        public const string DamagedFolder = "damaged";
        private const string ClaimMarker = ".claimed-";

        /// <summary>How old a .meta without its .eml must be before it counts as damaged rather than an item being written.</summary>
        public static readonly TimeSpan OrphanGrace = TimeSpan.FromMinutes(1);

        private readonly Func<DateTimeOffset> _utcNow;

        /// <param name="utcNow">The clock items' ages are measured with; tests give a fixed one.</param>
        public MailSpool(string path, Func<DateTimeOffset>? utcNow = null)
        {
            Path = path;
            _utcNow = utcNow ?? (() => DateTimeOffset.UtcNow);
        }

        public string Path { get; }

        /// <summary>Now, on the spool's clock.</summary>
        internal DateTimeOffset UtcNow() => _utcNow();

        public string PoisonPath => System.IO.Path.Combine(Path, PoisonFolder);

        public string DamagedPath => System.IO.Path.Combine(Path, DamagedFolder);

        /// <summary>Keeps a message that was not delivered, for <paramref name="owedRecipients"/> (default: all of its recipients); returns the .eml
        /// written.</summary>
        /// <param name="deliveredBackends">The backends that took it all the same: a resend skips them.</param>
        public string Add(IOutgoingMessage message, IEnumerable<string> failedBackends, IEnumerable<string> deliveredBackends, string policy,
            string error, IReadOnlyList<string>? owedRecipients = null, IReadOnlyDictionary<string, string>? namesakeDescriptions = null)
        {
            var now = _utcNow();
            var id = AtomicFile.NewName(now.UtcDateTime, string.Empty);
            var metadata = new SpoolMetadata
            {
                MessageId = message.MessageId,
                Subject = message.Subject,
                Sender = message.SenderAddress,
                Recipients = owedRecipients ?? message.RecipientAddresses,
                FailedBackends = failedBackends.ToArray(),
                DeliveredBackends = deliveredBackends.ToArray(),
                Policy = policy,
                Error = error,
                Attempts = 1,
                FirstFailure = now,
                LastFailure = now,
                NamesakeDescriptions = namesakeDescriptions ?? new Dictionary<string, string>(),
            };
            return AtomicFile.Write(
                Path,
                id + MessageExtension,
                stream => metadata.Digest = MessageDigest.Write(stream, message.WriteTo),
                beforePublish: () => WriteMetadata(Path, id, metadata),
                ownerOnly: true);
        }

        public IEnumerable<MailSpoolItem> List(bool poisoned = false)
        {
            var folder = poisoned ? PoisonPath : Path;
            if (!Directory.Exists(folder))
            {
                return Enumerable.Empty<MailSpoolItem>();
            }

            ReleaseAbandonedClaims(folder);
            return ReadItems(folder, poisoned, "*" + MessageExtension);
        }

        /// <summary>
        /// Every item, those a resend has claimed at this moment included (they still wait), without changing
        /// anything: no abandoned claim is given back, nothing is set aside. For health checks.
        /// </summary>
        public IEnumerable<MailSpoolItem> Inspect(bool poisoned = false)
        {
            var folder = poisoned ? PoisonPath : Path;
            return Directory.Exists(folder)
                ? ReadItems(folder, poisoned, "*" + MessageExtension).Concat(ReadItems(folder, poisoned, "*" + MessageExtension + ClaimMarker + "*"))
                    .ToArray()
                : Enumerable.Empty<MailSpoolItem>();
        }

        /// <summary>The notes (.reason files) of the items set aside in the damaged folder, by name; each stays there until someone looks.</summary>
        public IReadOnlyList<string> DamagedNotes() =>
            Directory.Exists(DamagedPath)
                ? Directory.EnumerateFiles(DamagedPath, "*" + ReasonExtension).OrderBy(path => path, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();

        private MailSpoolItem[] ReadItems(string folder, bool poisoned, string pattern) =>
            // Entries, not files: a folder in place of an .eml is a damaged item to set aside, not something to skip forever.
            Directory.EnumerateFileSystemEntries(folder, pattern)
                .Select(System.IO.Path.GetFileName)
                .Where(name => !name.StartsWith(AtomicFile.TemporaryPrefix, StringComparison.Ordinal))
                .OrderBy(name => name, StringComparer.Ordinal)
                .Select(name => ReadItem(folder, name.Substring(0, name.IndexOf(MessageExtension, StringComparison.Ordinal)), poisoned,
                    System.IO.Path.Combine(folder, name)))
                .ToArray();

        /// <summary>
        /// Sets aside each .meta (file or not) whose .eml is gone and that is older than <see cref="OrphanGrace"/>: a
        /// writer creates an item's .meta just before it renames the .eml into place, so a younger one may be an
        /// item being written. Such a .meta is never listed as an item (an item is its .eml), so without this it
        /// would stay forever; it is reported once, when it is moved.
        /// </summary>
        /// <param name="mayMove">Asked with each orphan's path before it is moved (ShouldProcess); one it declines stays, unreported.</param>
        public IReadOnlyList<DamagedSpoolItemException> SetAsideOrphanMetadata(bool poisoned = false, Func<string, bool>? mayMove = null)
        {
            var folder = poisoned ? PoisonPath : Path;
            var orphans = new List<DamagedSpoolItemException>();
            if (!Directory.Exists(folder))
            {
                return orphans;
            }

            foreach (var metadata in OrphanMetadata(folder))
            {
                if (mayMove?.Invoke(metadata) == false)
                {
                    continue;
                }

                var id = System.IO.Path.GetFileNameWithoutExtension(metadata);
                var item = ReadItem(folder, id, poisoned, metadata);
                var reason = OrphanReason(id);
                try
                {
                    SetAside(folder, id, reason, messageEntry: null);
                    orphans.Add(new DamagedSpoolItemException(
                        item, reason, $"Its metadata was moved to {DamagedPath} with its reason.", null, DamagedFile(id + MetadataExtension)));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    var fate = $"It could not be moved to {DamagedPath} ({ex.Message}) and stays where it was.";
                    orphans.Add(new DamagedSpoolItemException(item, reason, fate, ex, System.IO.Path.GetFileName(metadata)));
                }
            }

            return orphans;
        }

        /// <summary>
        /// The .meta entries of <paramref name="folder"/> whose .eml is gone (not even claimed) and that are older than
        /// <see cref="OrphanGrace"/>.
        /// </summary>
        private static IEnumerable<string> OrphanMetadata(string folder)
        {
            var cutoff = DateTime.UtcNow - OrphanGrace;
            return Directory.EnumerateFileSystemEntries(folder, "*" + MetadataExtension).Where(metadata =>
            {
                var id = System.IO.Path.GetFileNameWithoutExtension(metadata);
                return !id.StartsWith(AtomicFile.TemporaryPrefix, StringComparison.Ordinal) &&
                    !SpoolFile.Exists(System.IO.Path.Combine(folder, id + MessageExtension)) &&
                    !Directory.EnumerateFileSystemEntries(folder, id + MessageExtension + ClaimMarker + "*").Any() &&
                    new FileInfo(metadata).LastWriteTimeUtc <= cutoff;
            });
        }

        private static string OrphanReason(string id) =>
            $"its .eml is missing: the metadata file {id}{MetadataExtension} is older than {OrphanGrace.TotalMinutes:0} minute(s) and alone " +
            "(its .eml was removed, or its writer died before publishing it)";

        /// <summary>
        /// The .meta files a listing would set aside as alone (see <see cref="SetAsideOrphanMetadata"/>), by path, each
        /// with its reason, without moving them. For health checks.
        /// </summary>
        public IReadOnlyList<(string File, string Reason)> InspectOrphanMetadata(bool poisoned = false)
        {
            var folder = poisoned ? PoisonPath : Path;
            return Directory.Exists(folder)
                ? OrphanMetadata(folder).OrderBy(path => path, StringComparer.Ordinal)
                    .Select(path => (path, OrphanReason(System.IO.Path.GetFileNameWithoutExtension(path)))).ToArray()
                : Array.Empty<(string, string)>();
        }

        /// <summary>Moves an item's metadata (if any) and <paramref name="messageEntry"/> to the damaged folder, with a note of <paramref
        /// name="reason"/>.</summary>
        internal void SetAside(string folder, string id, string reason, string? messageEntry)
        {
            AtomicFile.Write(DamagedPath, id + ReasonExtension, stream =>
            {
                var note = new System.Text.UTF8Encoding(false).GetBytes($"{DateTimeOffset.UtcNow:o} {reason}\n");
                stream.Write(note, 0, note.Length);
            },
            ownerOnly: true);
            var metadata = MetadataFile(folder, id);
            if (SpoolFile.Exists(metadata))
            {
                SpoolFile.Move(metadata, MetadataFile(DamagedPath, id));
            }

            if (messageEntry is not null)
            {
                SpoolFile.Move(messageEntry, System.IO.Path.Combine(DamagedPath, id + MessageExtension));
            }
        }

        /// <summary>Takes the item for this process, or returns null when another resend already has it (or it is gone).</summary>
        /// <exception cref="SpoolItemNotResentException">The item is there but could not be taken (a read-only or full spool, no
        /// permission).</exception>
        public SpoolClaim? TryClaim(MailSpoolItem item)
        {
            // <pid>-<random>-<start>-<PID namespace>: the start tells this process from an earlier one with the same PID, the namespace
            // says in which namespace the PID counts (0.4.0 wrote <pid>-<random>; there is no namespace outside Linux).
            var claimed = item.MessagePath + ClaimMarker + AtomicFile.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" +
                Guid.NewGuid().ToString("N").Substring(0, 8) + (ProcessStart.Current is { } start ? "-" + start : string.Empty) +
                (ProcessStart.Current is not null && ProcessStart.Namespace is { } pidNamespace ? "-" + pidNamespace : string.Empty);
            try
            {
                SpoolFile.Move(item.MessagePath, claimed);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another run renamed it first (or it was removed): not ours to report. Still there: the rename itself failed.
                if (!SpoolFile.Exists(item.MessagePath))
                {
                    return null;
                }

                throw new SpoolItemNotResentException(item, ex);
            }

            try
            {
                // The claimed file's time says since when it is held: Test-MailSpool warns about a claim held too long.
                File.SetLastWriteTimeUtc(claimed, DateTime.UtcNow);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Only the warning about a stuck claim depends on it.
            }

            return new SpoolClaim(this, item, claimed);
        }

        /// <summary>A file of the damaged folder, relative to the spool folder, as messages and the message log name it.</summary>
        internal static string DamagedFile(string name) => DamagedFolder + "/" + name;

        internal static string MetadataFile(string folder, string id) => System.IO.Path.Combine(folder, id + MetadataExtension);

        internal static void WriteMetadata(string folder, string id, SpoolMetadata metadata) =>
            AtomicFile.Write(folder, id + MetadataExtension, stream =>
            {
                var bytes = metadata.ToBytes();
                stream.Write(bytes, 0, bytes.Length);
            },
            ownerOnly: true);

        /// <summary>
        /// An item whose metadata is missing or unreadable is still listed, with the reason as its error, so that
        /// a resend reports it and sets it aside instead of the listing failing for every item.
        /// </summary>
        /// <param name="entry">The item's file, whose time stands in for when it was spooled if the metadata cannot tell.</param>
        private MailSpoolItem ReadItem(string folder, string id, bool poisoned, string entry)
        {
            SpoolMetadata metadata;
            string? damage = null;
            try
            {
                metadata = SpoolMetadata.Read(MetadataFile(folder, id));
            }
            catch (FileNotFoundException)
            {
                damage = SpoolClaim.NoMetadata(id);
                metadata = new SpoolMetadata { Error = $"Damaged: {damage}." };
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                damage = ex.Message;
                metadata = new SpoolMetadata { Error = $"Damaged: {damage}." };
            }

            var fileTime = new DateTimeOffset(File.GetLastWriteTimeUtc(entry), TimeSpan.Zero);
            var claimed = entry.IndexOf(ClaimMarker, StringComparison.Ordinal) >= 0;
            return new MailSpoolItem(Path, id, metadata, poisoned, fileTime, _utcNow(), damage, heldSince: claimed ? fileTime : null,
                claimedFile: claimed ? entry : null);
        }

        private static void ReleaseAbandonedClaims(string folder)
        {
            foreach (var claimed in Directory.EnumerateFileSystemEntries(folder, "*" + MessageExtension + ClaimMarker + "*"))
            {
                if (!IsHeld(claimed))
                {
                    var marker = claimed.LastIndexOf(ClaimMarker, StringComparison.Ordinal);
                    try
                    {
                        SpoolFile.Move(claimed, claimed.Substring(0, marker));
                    }
                    catch (Exception ex) when (ex is FileNotFoundException or IOException)
                    {
                        // Another run released it first.
                    }
                }
            }
        }

        /// <summary>
        /// Whether the process a claim names may still run, so that releasing the claim could send the item twice. A claim made
        /// in another PID namespace is held whatever its PID is here (that PID is another process, or none, while its owner
        /// may run); Test-MailSpool reports it as stuck after -MaxAge. Otherwise: the same PID runs, and, when the claim
        /// records the start of a process of our namespace and boot, with that start (a later process that reuses the PID did
        /// not claim it). A start that cannot be read now counts as the same.
        /// </summary>
        internal static bool IsHeld(string claimed)
        {
            var owner = claimed.Substring(claimed.LastIndexOf(ClaimMarker, StringComparison.Ordinal) + ClaimMarker.Length).Split('-');
            if (!int.TryParse(owner[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                return true;
            }

            if (owner.Length >= 4 && owner[3] != ProcessStart.Namespace)
            {
                return true;
            }

            // A claim with a start but no namespace (an earlier 0.5.0 build on Linux) may come from any namespace: only its PID is checked.
            var ours = owner.Length >= 3 && (owner.Length >= 4 ? owner[3] : null) == ProcessStart.Namespace &&
                ProcessStart.BootOf(owner[2]) == ProcessStart.BootOf(ProcessStart.Current ?? string.Empty);
            return IsRunning(pid) && (!ours || ProcessStart.Of(pid) is not { } start || start == owner[2]);
        }

        private static bool IsRunning(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }
}
