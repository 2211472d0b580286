using System;

namespace PSCompositeMail.Spool
{
    /// <summary>A spool item that cannot be resent safely (no metadata, unreadable metadata, or an .eml that is not the one written).</summary>
    public sealed class DamagedSpoolItemException : Exception
    {
        internal DamagedSpoolItemException(MailSpoolItem item, string reason, string fate, Exception? cause)
            : base($"The spool item {item.Id} cannot be resent safely: {reason}. {fate}", cause)
        {
            Item = item;
            Reason = reason;
        }

        public MailSpoolItem Item { get; }

        /// <summary>What is wrong with it, as written next to it in the damaged folder.</summary>
        public string Reason { get; }
    }
}
