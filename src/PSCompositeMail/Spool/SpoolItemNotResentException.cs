using System;
using System.Collections.Generic;
using System.IO;

namespace PSCompositeMail.Spool
{
    /// <summary>A spool item that this resend could not send at all, and that stays in the spool as it was (the message says why).</summary>
    public sealed class SpoolItemNotResentException : Exception
    {
        private SpoolItemNotResentException(MailSpoolItem item, string message, Exception? cause)
            : base(message, cause)
        {
            Item = item;
        }

        public MailSpoolItem Item { get; }

        /// <summary>The item is there, but renaming it to claim it failed: not another run's claim, so the reason is shown.</summary>
        internal SpoolItemNotResentException(MailSpoolItem item, Exception cause)
            : this(
                item,
                $"The spool item {item.Id} could not be taken for resending: {cause.Message}. A resend renames each item to claim it, so the spool " +
                "folder " +
                $"must be writable by this account. Nothing was sent; the item stays in {Path.GetDirectoryName(item.MessagePath)}.",
                cause)
        {
        }

        /// <summary>None of the backends that failed the item (and have not taken it since) is among those of this resend.</summary>
        internal static SpoolItemNotResentException NoOwedBackend(MailSpoolItem item, IEnumerable<string> owed, IEnumerable<string> given) =>
            new SpoolItemNotResentException(
                item,
                $"The spool item {item.Id} was not resent: it is still owed to {string.Join(", ", owed)}, which failed it, and none of them is " +
                "among the " +
                $"backends of this resend ({string.Join(", ", given)}); the others already took it or were never asked to. Nothing was sent; the " +
                "item stays in " +
                $"{Path.GetDirectoryName(item.MessagePath)}. Resend it with one of those backends (by -Name), or add -IncludeDeliveredBackends to " +
                "deliver it " +
                "through the given backends regardless of what took it before.",
                null);
    }
}
