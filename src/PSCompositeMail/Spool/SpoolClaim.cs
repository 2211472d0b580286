using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// An item this process took out of the spool (or out of its poison folder, for a deliberate resend).
    /// Disposing it without an outcome puts it back untouched.
    /// </summary>
    internal sealed class SpoolClaim : IDisposable
    {
        private readonly MailSpool _spool;
        private readonly string _claimedFile;
        private readonly string _folder;
        private readonly string? _damage;
        private bool _settled;

        public SpoolClaim(MailSpool spool, MailSpoolItem item, string claimedFile)
        {
            _spool = spool;
            Item = item;
            _claimedFile = claimedFile;
            _folder = Path.GetDirectoryName(item.MessagePath)!;

            // Read again now that the item is ours: the listing may be older than another run's last attempt.
            Metadata = ReadMetadata(out _damage);
        }

        public MailSpoolItem Item { get; }

        public string Id => Item.Id;

        public SpoolMetadata Metadata { get; }

        /// <summary>Where the item's .eml goes when too many attempts move it to the poison folder.</summary>
        public string PoisonFile => Path.Combine(_spool.PoisonPath, Id + MailSpool.MessageExtension);

        /// <summary>Where the item's .eml is while it waits: in the spool, or in its poison folder for a poisoned item.</summary>
        public string MessageFile => Path.Combine(_folder, Id + MailSpool.MessageExtension);

        private SpoolMetadata ReadMetadata(out string? damage)
        {
            damage = null;
            try
            {
                return SpoolMetadata.Read(MailSpool.MetadataFile(_folder, Id));
            }
            catch (FileNotFoundException)
            {
                damage = NoMetadata(Id);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                damage = ex.Message;
            }

            return new SpoolMetadata();
        }

        internal static string NoMetadata(string id) =>
            $"it has no metadata file ({id}{MailSpool.MetadataExtension}), so its envelope (Bcc recipients included) is unknown";

        /// <summary>
        /// Loads the message with the envelope it was spooled with, once its metadata is readable and its .eml is
        /// the one written (same length and SHA-256).
        /// </summary>
        /// <exception cref="DamagedSpoolItemException">It cannot be resent safely: it was moved to the damaged folder.</exception>
        public IOutgoingMessage Load(IMessageFactory messages)
        {
            var damage = _damage;
            Exception? cause = null;
            try
            {
                // Checked before the digest or the engine opens it: opening a named pipe would block for good.
                if (damage is null)
                {
                    SpoolFile.EnsureRegular(_claimedFile, "its .eml");
                }

                damage ??= Metadata.Digest?.Mismatch(_claimedFile);
                if (damage is null)
                {
                    return messages.Load(_claimedFile, Metadata.Sender, Metadata.Recipients);
                }
            }
            catch (Exception ex) when (ex is MessageValidationException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                damage = ex.Message;
                cause = ex;
            }

            throw SetAside(damage, cause);
        }

        /// <summary>
        /// The backends (by name) that failed the message and have not taken it since: the item leaves the spool
        /// only once they have. Empty for an item that names none (nothing is owed to a particular backend).
        /// </summary>
        public IReadOnlyList<string> OwedBackends => DeliveredBackendNames.Except(Metadata.FailedBackends, Metadata.DeliveredBackends);

        /// <summary>
        /// Reads the item's ledger in the ledger names of the backends under <paramref name="root"/>, those the resend
        /// sends through (see <see cref="DeliveredBackendNames.TookIt"/>), so that the names compare exactly from then on.
        /// </summary>
        public void ReadLedgerFor(CompositeBackend root)
        {
            var whereSent = Metadata.NamesakeDescriptions;
            Metadata.FailedBackends = DeliveredBackendNames.OwedTo(Metadata.FailedBackends, whereSent, root);
            Metadata.DeliveredBackends = DeliveredBackendNames.TookIt(Metadata.DeliveredBackends, whereSent, root);
            // From now on the names are the resend's; a name none of its backends has keeps where it sent.
            var names = root.Descendants().Select(root.LedgerName).ToArray();
            Metadata.NamesakeDescriptions = whereSent.Where(n => !names.Contains(n.Key, StringComparer.OrdinalIgnoreCase))
                .Concat(root.NamesakeDescriptions())
                .ToDictionary(n => n.Key, n => n.Value, StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>
        /// The backends still owed the message after a resend that <paramref name="deliveredNow"/> took, or null when
        /// none is: under Any and Failover one of the backends that failed it is enough, under All and Primary each
        /// must have taken it (the item does not record the composite's shape, only the names that failed).
        /// </summary>
        public IReadOnlyList<string>? Shortfall(IReadOnlyList<string> deliveredNow)
        {
            var owed = OwedBackends;
            var left = DeliveredBackendNames.Except(owed, deliveredNow);
            var oneIsEnough = Metadata.Policy is nameof(DeliveryPolicy.Any) or nameof(DeliveryPolicy.Failover);
            return left.Length == 0 || (oneIsEnough && left.Length < owed.Count) ? null : left;
        }

        /// <summary>Delivered: the item leaves the spool.</summary>
        public void Complete()
        {
            File.Delete(_claimedFile);
            File.Delete(MailSpool.MetadataFile(_folder, Id));
            _settled = true;
        }

        /// <summary>
        /// Not delivered again: records the attempt and the backends that took the message this time, then puts the
        /// item back, or into the poison folder once it had <paramref name="maxAttempts"/>. A poisoned item stays poisoned.
        /// </summary>
        /// <returns>True when the item was moved to the poison folder now.</returns>
        public bool Fail(IEnumerable<string> failedBackends, IEnumerable<string> deliveredBackends, string error, int maxAttempts,
            IReadOnlyList<string>? owedRecipients = null)
        {
            // A resend that reached some recipients owes the message to the others only.
            Metadata.Recipients = owedRecipients ?? Metadata.Recipients;
            Metadata.Attempts++;
            Metadata.LastFailure = _spool.UtcNow();
            Metadata.Error = error;
            // Still owed: whatever failed it before and has not taken it since (it may not have been in this resend), and what failed now.
            Metadata.DeliveredBackends = Metadata.DeliveredBackends.Union(deliveredBackends, StringComparer.OrdinalIgnoreCase).ToArray();
            Metadata.FailedBackends = DeliveredBackendNames.Except(Metadata.FailedBackends.Concat(failedBackends), Metadata.DeliveredBackends);

            // An item 0.1.0 spooled had no digest: it is recorded now, for the file as it was just resent.
            Metadata.Digest ??= MessageDigest.Of(_claimedFile);
            var poisonNow = !Item.Poisoned && Metadata.Attempts >= maxAttempts;
            var folder = poisonNow ? _spool.PoisonPath : _folder;
            MailSpool.WriteMetadata(folder, Id, Metadata);
            File.Move(_claimedFile, poisonNow ? PoisonFile : Path.Combine(folder, Id + MailSpool.MessageExtension));
            if (poisonNow)
            {
                File.Delete(MailSpool.MetadataFile(_folder, Id));
            }

            _settled = true;
            return poisonNow;
        }

        /// <summary>Moves the item, its metadata if any, and a note of <paramref name="reason"/> to the damaged folder.</summary>
        private DamagedSpoolItemException SetAside(string reason, Exception? cause)
        {
            var damaged = _spool.DamagedPath;
            try
            {
                _spool.SetAside(_folder, Id, reason, _claimedFile);
                _settled = true;
                return new DamagedSpoolItemException(
                    Item, reason, $"It was moved to {damaged} with its reason.", cause, MailSpool.DamagedFile(Id + MailSpool.MessageExtension));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var fate = $"It could not be moved to {damaged} ({ex.Message}) and stays where it was.";
                return new DamagedSpoolItemException(Item, reason, fate, cause, Path.GetFileName(Item.MessagePath));
            }
        }

        /// <summary>
        /// Not delivered, and cut off before an outcome (a stop): the item goes back, remembering the backends that
        /// took the message before the cut (<paramref name="deliveredBackends"/>) so that a resend skips them; no
        /// attempt is counted. Returns where the item's .eml now is.
        /// </summary>
        public string Return(IReadOnlyList<string> deliveredBackends)
        {
            var newlyDelivered = deliveredBackends.Except(Metadata.DeliveredBackends, StringComparer.OrdinalIgnoreCase).ToArray();
            if (!_settled && newlyDelivered.Length > 0)
            {
                Metadata.DeliveredBackends = Metadata.DeliveredBackends.Concat(newlyDelivered).ToArray();
                Metadata.FailedBackends = DeliveredBackendNames.Except(Metadata.FailedBackends, newlyDelivered);
                Metadata.Digest ??= MessageDigest.Of(_claimedFile);
                MailSpool.WriteMetadata(_folder, Id, Metadata);
            }

            return GiveBack();
        }

        /// <summary>
        /// Puts the item back as it is (its metadata as last written), unless it was settled; returns where its .eml
        /// now is: in its folder, or still under its claimed name when even the rename back failed (a later listing
        /// gives it back once this process has ended).
        /// </summary>
        public string GiveBack()
        {
            try
            {
                Dispose();
                return MessageFile;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _settled = true;
                return _claimedFile;
            }
        }

        public void Dispose()
        {
            if (!_settled && SpoolFile.Exists(_claimedFile))
            {
                SpoolFile.Move(_claimedFile, MessageFile);
            }

            _settled = true;
        }
    }
}
