using System;
using System.Text;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// The headers as they will be written: lines of at most 998 octets, folded only as CRLF plus white space, no
    /// control byte but TAB, and 8-bit bytes only as UTF-8, which only a server offering SMTPUTF8 may receive.
    /// </summary>
    internal static class WireHeaders
    {
        private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

        /// <summary>Checks every header of the message and its parts; <paramref name="refuse"/> makes the error for the first bad one.</summary>
        /// <returns>True when a header holds raw UTF-8 (an address with a non-ASCII local part, say).</returns>
        public static bool Check(MimeMessage message, Func<Header, string, MessageValidationException> refuse)
        {
            var utf8 = false;
            foreach (var headers in MimeTree.HeaderLists(message))
            {
                foreach (var header in headers)
                {
                    if (ProblemOf(header, ref utf8) is { } problem)
                    {
                        throw refuse(header, problem);
                    }
                }
            }

            return utf8;
        }

        /// <summary>For a message built from parameters: the error names the parameter the header came from.</summary>
        public static MessageValidationException RefuseBuilt(Header header, string problem)
        {
            var parameter = ParameterOf(header.Field);
            var name = parameter == "Headers" ? $"Headers['{header.Field}']" : parameter;
            return new MessageValidationException($"The {header.Field} header made from -{name} {problem}.", parameter, header.Value);
        }

        /// <summary>Headers of an .eml file written by someone else: a line over the limit is folded again where it can be.</summary>
        public static void Refold(MimeMessage message)
        {
            foreach (var headers in MimeTree.HeaderLists(message))
            {
                foreach (var header in headers)
                {
                    if (LongestLine(header) > WireLineCheck.MaxLineLength)
                    {
                        header.SetValue(FormatOptions.Default, Encoding.UTF8, header.Value);
                    }
                }
            }
        }

        private static string ParameterOf(string field) => field.ToLowerInvariant() switch
        {
            "from" => "From",
            "sender" => "Sender",
            "to" => "To",
            "cc" => "Cc",
            "reply-to" => "ReplyTo",
            "subject" => "Subject",
            "message-id" => "MessageId",
            "content-id" => "InlineAttachments",
            "content-type" or "content-disposition" => "Attachments",
            _ => "Headers",
        };

        private static string? ProblemOf(Header header, ref bool utf8)
        {
            var raw = header.RawValue;
            var eightBit = false;
            for (var i = 0; i < raw.Length; i++)
            {
                var b = raw[i];
                if (b == '\r' && i + 1 < raw.Length && raw[i + 1] == '\n')
                {
                    continue;
                }

                if (b == '\n')
                {
                    if (i + 1 < raw.Length && raw[i + 1] != ' ' && raw[i + 1] != '\t')
                    {
                        return "holds a line break that does not fold the line";
                    }
                }
                else if ((b < ' ' && b != '\t') || b == 0x7F)
                {
                    return $"holds the control character {ControlCharacters.Describe((char)b)}";
                }
                else if (b >= 0x80)
                {
                    eightBit = true;
                }
            }

            var longest = LongestLine(header);
            if (longest > WireLineCheck.MaxLineLength)
            {
                return $"would be a line of {longest} characters, more than the {WireLineCheck.MaxLineLength} mail allows, and cannot be folded";
            }

            if (eightBit)
            {
                try
                {
                    StrictUtf8.GetCharCount(raw);
                }
                catch (DecoderFallbackException)
                {
                    return "holds 8-bit bytes that are not UTF-8";
                }

                utf8 = true;
            }

            return null;
        }

        /// <summary>In octets, without the line end; the first line starts with the field name and its colon.</summary>
        private static int LongestLine(Header header)
        {
            var raw = header.RawValue;
            var longest = 0;
            var length = header.Field.Length + 1;
            foreach (var b in raw)
            {
                if (b == '\n')
                {
                    longest = Math.Max(longest, length);
                    length = 0;
                }
                else if (b != '\r')
                {
                    length++;
                }
            }

            return Math.Max(longest, length);
        }
    }
}
