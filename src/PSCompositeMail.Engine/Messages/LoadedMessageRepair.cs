using System.Linq;
using System.Text;
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
            EncodeRawUtf8(message);
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

        /// <summary>
        /// Raw UTF-8 in a header that has an ASCII form (a subject, a display name, a file name) would let the file go
        /// only to a server offering SMTPUTF8, where RFC 2047 and 2231 encoding reach every server: such a header is
        /// encoded again. An address with a non-ASCII local part or domain, and an id, have no such form and stay raw;
        /// a DKIM-signed file is left as it is, since encoding its headers again would break the signature.
        /// </summary>
        private static void EncodeRawUtf8(MimeMessage message)
        {
            if (message.Headers.Contains(HeaderId.DkimSignature))
            {
                return;
            }

            foreach (var headers in MimeTree.HeaderLists(message))
            {
                foreach (var header in headers.ToList())
                {
                    if (header.RawValue.Any(b => b >= 0x80) && HasAsciiForm(header))
                    {
                        header.SetValue(FormatOptions.Default, Encoding.UTF8, header.Value);
                    }
                }
            }
        }

        private static bool HasAsciiForm(Header header)
        {
            switch (header.Id)
            {
                case HeaderId.MessageId:
                case HeaderId.InReplyTo:
                case HeaderId.References:
                case HeaderId.ContentId:
                case HeaderId.ResentMessageId:
                    return false;
                case HeaderId.From:
                case HeaderId.Sender:
                case HeaderId.ReplyTo:
                case HeaderId.To:
                case HeaderId.Cc:
                case HeaderId.Bcc:
                    return InternetAddressList.TryParse(header.Value, out var addresses)
                        && addresses.Mailboxes.All(mailbox => mailbox.Address.All(c => c < 0x80));
                default:
                    return true;
            }
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
