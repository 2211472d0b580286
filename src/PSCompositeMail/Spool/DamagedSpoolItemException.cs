using System;

namespace PSCompositeMail.Spool
{
    /// <summary>A spool item that cannot be resent safely (no metadata, unreadable metadata, or an .eml that is not the one written).</summary>
    public sealed class DamagedSpoolItemException : Exception
    {
        /// <param name="file">Where its file is now, as the message log names it: "damaged/&lt;id&gt;.eml" once moved there.</param>
        internal DamagedSpoolItemException(MailSpoolItem item, string reason, string fate, Exception? cause, string file)
            : base($"The spool item {item.Id} cannot be resent safely: {reason}. {fate}", cause)
        {
            Item = item;
            Reason = reason;
            File = file;
        }

        public MailSpoolItem Item { get; }

        /// <summary>What is wrong with it, as written next to it in the damaged folder.</summary>
        public string Reason { get; }

        /// <summary>
        /// Its file, relative to the spool folder: "damaged/&lt;id&gt;.eml" (or .meta, for metadata alone) once set
        /// aside, its own file name when it could not be moved and stays where it was.
        /// </summary>
        public string File { get; }
    }
}
