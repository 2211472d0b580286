using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// A folder of messages that could not be delivered. Each item is an .eml (the message as it would go on
    /// the wire) and a .meta file (envelope and failure history); the .meta is written first and the .eml
    /// last, each atomically, so an item exists exactly when its .eml does and a crash never leaves half of one.
    /// A resend claims an item by renaming its .eml, which only one process can do; a claim whose process
    /// died is given back the next time the spool is listed.
    /// </summary>
    internal sealed class MailSpool
    {
        public const string MessageExtension = ".eml";
        public const string MetadataExtension = ".meta";
        public const string PoisonFolder = "poison";
        private const string ClaimMarker = ".claimed-";

        public MailSpool(string path)
        {
            Path = path;
        }

        public string Path { get; }

        private string PoisonPath => System.IO.Path.Combine(Path, PoisonFolder);

        /// <summary>Keeps a message that was not delivered; returns the .eml written.</summary>
        public string Add(IOutgoingMessage message, IEnumerable<string> failedBackends, string policy, string error)
        {
            var now = DateTimeOffset.UtcNow;
            var id = AtomicFile.NewName(now.UtcDateTime, string.Empty);
            var metadata = new SpoolMetadata
            {
                MessageId = message.MessageId,
                Subject = message.Subject,
                Sender = message.SenderAddress,
                Recipients = message.RecipientAddresses,
                FailedBackends = failedBackends.ToArray(),
                Policy = policy,
                Error = error,
                Attempts = 1,
                FirstFailure = now,
                LastFailure = now,
            };
            WriteMetadata(Path, id, metadata);
            return AtomicFile.Write(Path, id + MessageExtension, message.WriteTo);
        }

        public IEnumerable<MailSpoolItem> List(bool poisoned = false)
        {
            var folder = poisoned ? PoisonPath : Path;
            if (!Directory.Exists(folder))
            {
                return Enumerable.Empty<MailSpoolItem>();
            }

            if (!poisoned)
            {
                ReleaseAbandonedClaims();
            }

            return Directory.EnumerateFiles(folder, "*" + MessageExtension)
                .Select(System.IO.Path.GetFileName)
                .Where(name => !name.StartsWith(AtomicFile.TemporaryPrefix, StringComparison.Ordinal))
                .OrderBy(name => name, StringComparer.Ordinal)
                .Select(name => ReadItem(folder, System.IO.Path.GetFileNameWithoutExtension(name), poisoned))
                .Where(item => item is not null)
                .Select(item => item!)
                .ToArray();
        }

        /// <summary>Takes the item for this process, or returns null when another resend already has it (or it is gone).</summary>
        public SpoolClaim? TryClaim(MailSpoolItem item)
        {
            var source = System.IO.Path.Combine(Path, item.Id + MessageExtension);
            var claimed = source + ClaimMarker + AtomicFile.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            try
            {
                File.Move(source, claimed);
            }
            catch (Exception ex) when (ex is FileNotFoundException or IOException)
            {
                return null;
            }

            return new SpoolClaim(this, item.Id, claimed, SpoolMetadata.Read(MetadataFile(Path, item.Id)));
        }

        internal static string MetadataFile(string folder, string id) => System.IO.Path.Combine(folder, id + MetadataExtension);

        internal static void WriteMetadata(string folder, string id, SpoolMetadata metadata) =>
            AtomicFile.Write(folder, id + MetadataExtension, stream =>
            {
                var bytes = metadata.ToBytes();
                stream.Write(bytes, 0, bytes.Length);
            });

        internal string MessageFile(string id) => System.IO.Path.Combine(Path, id + MessageExtension);

        internal string PoisonFile(string id, string extension)
        {
            Directory.CreateDirectory(PoisonPath);
            return System.IO.Path.Combine(PoisonPath, id + extension);
        }

        private MailSpoolItem? ReadItem(string folder, string id, bool poisoned)
        {
            var metadataFile = MetadataFile(folder, id);
            var metadata = File.Exists(metadataFile) ? SpoolMetadata.Read(metadataFile) : new SpoolMetadata { Error = "no metadata was found" };
            return new MailSpoolItem(Path, id, metadata, poisoned);
        }

        private void ReleaseAbandonedClaims()
        {
            foreach (var claimed in Directory.EnumerateFiles(Path, "*" + MessageExtension + ClaimMarker + "*"))
            {
                var marker = claimed.LastIndexOf(ClaimMarker, StringComparison.Ordinal);
                var owner = claimed.Substring(marker + ClaimMarker.Length).Split('-')[0];
                if (int.TryParse(owner, out var pid) && !IsRunning(pid))
                {
                    try
                    {
                        File.Move(claimed, claimed.Substring(0, marker));
                    }
                    catch (Exception ex) when (ex is FileNotFoundException or IOException)
                    {
                        // Another run released it first.
                    }
                }
            }
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

    /// <summary>An item this process took out of the spool. Disposing it without an outcome puts it back untouched.</summary>
    internal sealed class SpoolClaim : IDisposable
    {
        private readonly MailSpool _spool;
        private readonly string _claimedFile;
        private bool _settled;

        public SpoolClaim(MailSpool spool, string id, string claimedFile, SpoolMetadata metadata)
        {
            _spool = spool;
            Id = id;
            _claimedFile = claimedFile;
            Metadata = metadata;
        }

        public string Id { get; }

        public SpoolMetadata Metadata { get; }

        /// <summary>Where the item's .eml is while it waits in the spool.</summary>
        public string MessageFile => _spool.MessageFile(Id);

        public IOutgoingMessage Load() => MailEngine.Instance.Load(_claimedFile, Metadata.Sender, Metadata.Recipients);

        /// <summary>Delivered: the item leaves the spool.</summary>
        public void Complete()
        {
            File.Delete(_claimedFile);
            File.Delete(MailSpool.MetadataFile(_spool.Path, Id));
            _settled = true;
        }

        /// <summary>Not delivered again: records the attempt, then puts the item back, or into the poison folder once it had <paramref name="maxAttempts"/>.</summary>
        /// <returns>True when the item was moved to the poison folder.</returns>
        public bool Fail(IEnumerable<string> failedBackends, string error, int maxAttempts)
        {
            Metadata.Attempts++;
            Metadata.LastFailure = DateTimeOffset.UtcNow;
            Metadata.Error = error;
            Metadata.FailedBackends = failedBackends.ToArray();
            var poisoned = Metadata.Attempts >= maxAttempts;
            if (poisoned)
            {
                var poisonMessage = _spool.PoisonFile(Id, MailSpool.MessageExtension);
                MailSpool.WriteMetadata(System.IO.Path.GetDirectoryName(poisonMessage)!, Id, Metadata);
                File.Move(_claimedFile, poisonMessage);
                File.Delete(MailSpool.MetadataFile(_spool.Path, Id));
            }
            else
            {
                MailSpool.WriteMetadata(_spool.Path, Id, Metadata);
                File.Move(_claimedFile, _spool.MessageFile(Id));
            }

            _settled = true;
            return poisoned;
        }

        public void Dispose()
        {
            if (!_settled && File.Exists(_claimedFile))
            {
                File.Move(_claimedFile, _spool.MessageFile(Id));
            }

            _settled = true;
        }
    }
}
