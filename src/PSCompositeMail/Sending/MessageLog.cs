using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;
using PSCompositeMail.Results;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>What became of one message in one call, as the message log records it.</summary>
    public enum MessageOutcome
    {
        /// <summary>The policy was met.</summary>
        Delivered,

        /// <summary>Not delivered, and waiting in the spool for a resend.</summary>
        Spooled,

        /// <summary>Not delivered and not waiting for a resend: no spool, it could not be kept, or it is in the poison or damaged folder.</summary>
        Failed,

        /// <summary>Invalid input: nothing of it was sent anywhere.</summary>
        Refused,
    }

    /// <summary>One line of the message log.</summary>
    internal sealed class MessageLogEntry
    {
        public string? MessageId { get; set; }

        public string? Subject { get; set; }

        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();

        public MessageOutcome Outcome { get; set; }

        /// <summary>Why it was not delivered (the result's Reason, or the error for input refused or an item set aside); empty when
        /// delivered.</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The backend results; the log lists the backends that did the work (the members inside composites).</summary>
        public IReadOnlyList<BackendResult> Backends { get; set; } = Array.Empty<BackendResult>();

        /// <summary>The spool file that holds the message, when it waits in a spool.</summary>
        public string? SpoolPath { get; set; }

        /// <summary>
        /// The file of an item set aside as damaged, relative to its spool folder (damaged/&lt;id&gt;.eml), written
        /// instead of <see cref="SpoolPath"/>.
        /// </summary>
        public string? DamagedFile { get; set; }

        /// <summary>Whether <see cref="SpoolPath"/> is in the spool's poison folder: written as poison/&lt;id&gt;.eml.</summary>
        public bool Poisoned { get; set; }

        /// <summary>True for a spool item sent again.</summary>
        public bool Resend { get; set; }
    }

    /// <summary>
    /// The operator's maillog: one JSON object per line for each message a call took, appended to a file several
    /// scheduled tasks may share. Each line is written whole by one write while this process holds the file
    /// exclusively (FileShare.None, which .NET turns into an flock on Unix), because .NET's append mode writes at the
    /// position it last knew, not at the file's current end: without the lock two processes overwrite each other's
    /// lines. The file is created owner-only on Unix. Text is escaped as JSON does, and beyond that every control,
    /// bidi and line-separator character is written as \uXXXX, so that reading the log in a terminal is safe.
    /// It never writes a secret: it takes only the fields above, and backend errors are redacted where they arise.
    /// </summary>
    internal sealed class MessageLog
    {
        /// <summary>How long a line waits for the other writers; they hold the file for one write each.</summary>
        private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

        private static readonly byte[] NewLine = { (byte)'\n' };

        private readonly Func<DateTimeOffset> _utcNow;

        public MessageLog(string path, Func<DateTimeOffset>? utcNow = null)
        {
            Path = path;
            _utcNow = utcNow ?? (() => DateTimeOffset.UtcNow);
        }

        public string Path { get; }

        /// <exception cref="IOException">The line could not be written (no such folder, disk full, the lock not had in time).</exception>
        /// <exception cref="UnauthorizedAccessException">The file may not be written.</exception>
        public void Write(MessageLogEntry entry, CancellationToken cancellation = default)
        {
            var line = new UTF8Encoding(false).GetBytes(Format(entry) + "\n");
            var deadline = DateTime.UtcNow + LockWait;
            var random = new Random();
            while (true)
            {
                FileStream file;
                try
                {
                    file = OwnerOnly.OpenAppend(Path, FileShare.None, bufferSize: 1, FileAccess.ReadWrite);
                }
                catch (IOException ex) when (IsHeldByAnother(ex) && DateTime.UtcNow < deadline)
                {
                    cancellation.WaitHandle.WaitOne(random.Next(5, 40));
                    cancellation.ThrowIfCancellationRequested();
                    continue;
                }

                using (file)
                {
                    var end = file.Position;
                    var text = OwnerOnly.EndsLine(file) ? line : NewLine.Concat(line).ToArray();
                    try
                    {
                        file.Write(text, 0, text.Length);
                    }
                    catch (IOException)
                    {
                        // A full disk takes part of the line: without cutting it off, the next line is glued onto it
                        // and the file no longer reads as JSON lines.
                        TryCutBack(file, end);
                        throw;
                    }
                }

                return;
            }
        }

        private static void TryCutBack(FileStream file, long length)
        {
            try
            {
                file.SetLength(length);
            }
            catch (IOException)
            {
                // The write's own error is the one to report.
            }
        }

        /// <summary>The line for one entry, without its line feed.</summary>
        public string Format(MessageLogEntry entry)
        {
            var json = new StringBuilder(256).Append('{');
            Property(json, "time", _utcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(',');
            Property(json, "messageId", entry.MessageId).Append(',');
            Property(json, "subject", entry.Subject).Append(',');
            Name(json, "to").Append('[');
            Join(json, entry.To, (b, address) => Text(b, address));
            json.Append("],");
            Property(json, "outcome", entry.Outcome.ToString()).Append(',');
            Property(json, "reason", entry.Reason).Append(',');
            Name(json, "backends").Append('[');
            Join(json, entry.Backends.SelectMany(Workers), (b, result) =>
            {
                b.Append('{');
                Property(b, "name", result.Backend).Append(',');
                Property(b, "status", result.Status.ToString()).Append(',');
                Property(b, "error", result.Error);
                if (result.Description is { } description)
                {
                    // Where it sends: what tells members that share a name (two 'smtp') apart; never a secret.
                    Property(b.Append(','), "description", description);
                }

                b.Append('}');
            });
            json.Append("],");
            var spoolItem = entry.DamagedFile ?? (entry.SpoolPath is null ? null
                : (entry.Poisoned ? MailSpool.PoisonFolder + "/" : string.Empty) + System.IO.Path.GetFileName(entry.SpoolPath));
            Property(json, "spoolItem", spoolItem).Append(',');
            Name(json, "resend").Append(entry.Resend ? "true" : "false");
            return json.Append('}').ToString();
        }

        /// <summary>A composite's members in its place, down to the backends that sent (or failed).</summary>
        private static IEnumerable<BackendResult> Workers(BackendResult result) =>
            result.Results.Count == 0 ? new[] { result } : result.Results.SelectMany(Workers);

        /// <summary>
        /// On Windows a sharing violation; on Unix .NET reports the flock another process holds as an IOException
        /// of its own. Anything else (no folder, no space, no permission) is not waited out.
        /// </summary>
        private static bool IsHeldByAnother(IOException ex) =>
            ex is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException) &&
            ((ex.HResult & 0xFFFF) is 32 or 33 || ex.Message.IndexOf("used by another process", StringComparison.OrdinalIgnoreCase) >= 0);

        private static void Join<T>(StringBuilder json, IEnumerable<T> items, Action<StringBuilder, T> write)
        {
            var first = true;
            foreach (var item in items)
            {
                if (!first)
                {
                    json.Append(',');
                }

                write(json, item);
                first = false;
            }
        }

        private static StringBuilder Property(StringBuilder json, string name, string? value) => Text(Name(json, name), value);

        private static StringBuilder Name(StringBuilder json, string name) => Text(json, name).Append(':');

        private static StringBuilder Text(StringBuilder json, string? value)
        {
            if (value is null)
            {
                return json.Append("null");
            }

            json.Append('"');
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    json.Append(c).Append(value[++i]);
                    continue;
                }

                _ = c switch
                {
                    '"' => json.Append("\\\""),
                    '\\' => json.Append("\\\\"),
                    '\n' => json.Append("\\n"),
                    '\r' => json.Append("\\r"),
                    '\t' => json.Append("\\t"),
                    _ when NeedsEscape(c) => json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                    _ => json.Append(c),
                };
            }

            return json.Append('"');
        }

        /// <summary>Control and bidi characters, line separators (IsUnsafe), and half of a character (an unpaired surrogate, which UTF-8 cannot
        /// hold).</summary>
        private static bool NeedsEscape(char c) =>
            ControlCharacters.IsUnsafe(c) || char.IsSurrogate(c) || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
    }
}
