using MimeKit;
using MimeKit.IO;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// An .eml file given as input was written by someone else and goes out as it is, so it is held to the wire's
    /// rules here: over-long header lines are folded again, parts whose stored bytes hold a bare CR or an over-long
    /// line are encoded again, and what still breaks a rule makes the file invalid input. A file that keeps the rules
    /// is left byte for byte as it is (a DKIM signature on it stays valid).
    /// </summary>
    internal static class LoadedMessageRepair
    {
        /// <returns>True when a header holds raw UTF-8, which only a server offering SMTPUTF8 may receive.</returns>
        public static bool Repair(MimeMessage message, string path)
        {
            WireHeaders.Refold(message);
            var utf8 = WireHeaders.Check(message, (header, problem) =>
                new MessageValidationException($"'{path}' cannot be sent: its {header.Field} header {problem}.", "Path", path));
            foreach (var entity in MimeTree.Entities(message))
            {
                switch (entity)
                {
                    case MimePart part:
                        EncodeAgainIfUnsafe(part);
                        break;
                    case Multipart multipart:
                        // Nobody reads a preamble or epilogue; one that breaks a rule is dropped rather than repaired.
                        multipart.Preamble = BreaksLines(multipart.Preamble) ? null : multipart.Preamble;
                        multipart.Epilogue = BreaksLines(multipart.Epilogue) ? null : multipart.Epilogue;
                        break;
                }
            }

            using var whole = new WireLineCheck();
            MimeText.WriteTo(message, whole);
            if (whole.Finish() is { } problem)
            {
                throw new MessageValidationException($"'{path}' cannot be sent: it holds {problem}.", "Path", path);
            }

            return utf8;
        }

        private static void EncodeAgainIfUnsafe(MimePart part)
        {
            if (part.Content is null)
            {
                return;
            }

            using (var stored = new WireLineCheck(bareLineFeedsAllowed: true))
            {
                part.Content.WriteTo(stored);
                if (stored.Finish() is null)
                {
                    return;
                }
            }

            var decoded = new MemoryBlockStream();
            part.Content.DecodeTo(decoded);
            decoded.Position = 0;
            part.Content = new MimeContent(decoded);
            part.ContentTransferEncoding = part.ContentType.IsMimeType("text", "*") ? ContentEncoding.QuotedPrintable : ContentEncoding.Base64;
        }

        private static bool BreaksLines(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return false;
            }

            using var check = new WireLineCheck(bareLineFeedsAllowed: true);
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            check.Write(bytes, 0, bytes.Length);
            return check.Finish() is not null;
        }
    }
}
