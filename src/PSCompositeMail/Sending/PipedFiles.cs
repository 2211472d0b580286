using System;
using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Sending
{
    /// <summary>What a file piped into Send-CompositeMail is for: the rule documented in the README ("Files from the pipeline").</summary>
    internal enum PipedFileUse
    {
        /// <summary>The command line names a recipient: every piped file is an attachment of that one message (Send-MailMessage's way).</summary>
        Attachment,

        /// <summary>The command line gives no message parameter: each piped .eml file is a message, sent as it is.</summary>
        Message,

        /// <summary>Some message parameters but no recipient: neither reading is safe to guess, so the call is refused.</summary>
        Ambiguous,
    }

    internal static class PipedFiles
    {
        private static readonly string[] RecipientParameters = { "To", "Cc", "Bcc" };

        /// <param name="commandLineMessageParameters">The message parameters bound on the command line (not from the pipeline).</param>
        public static PipedFileUse UseFor(IReadOnlyCollection<string> commandLineMessageParameters)
        {
            if (RecipientParameters.Any(p => commandLineMessageParameters.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                return PipedFileUse.Attachment;
            }

            return commandLineMessageParameters.Count == 0 ? PipedFileUse.Message : PipedFileUse.Ambiguous;
        }

        public static string AmbiguityText(IEnumerable<string> commandLineMessageParameters) =>
            $"Files were piped in with -{string.Join(", -", commandLineMessageParameters)} but no recipient, so it is unclear whether they are " +
            "messages " +
            "to send as they are or attachments. To attach them to one message, also give -To (or -Cc/-Bcc); to send piped .eml files as " +
            "they are, give no message parameters.";

        public static bool IsMessageFile(string path) => path.EndsWith(".eml", StringComparison.OrdinalIgnoreCase);
    }
}
