using System;
using System.Collections.Generic;
using System.Text;
using MimeKit;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// The parameters of a Content-Type or Content-Disposition field as written, before MimeKit merges them: MimeKit
    /// keeps one of two parameters with the same name, and folds filename and filename* (RFC 2231) into one, so what
    /// a receiver may read differently is only visible here.
    /// </summary>
    internal static class MimeParameterNames
    {
        /// <summary>Each parameter's name as written (filename, filename*, filename*0*) with its raw value, in order.</summary>
        public static IEnumerable<KeyValuePair<string, string>> Read(byte[] rawValue)
        {
            var text = Encoding.UTF8.GetString(rawValue);
            var i = SkipValue(text, 0);
            while (i < text.Length)
            {
                i++; // the ';'
                i = SkipSpace(text, i);
                var nameStart = i;
                while (i < text.Length && text[i] is not ('=' or ';'))
                {
                    i++;
                }

                var name = text.Substring(nameStart, i - nameStart).Trim();
                var valueStart = i < text.Length && text[i] == '=' ? i + 1 : i;
                i = SkipValue(text, valueStart);
                if (name.Length > 0)
                {
                    yield return new KeyValuePair<string, string>(name, text.Substring(valueStart, i - valueStart).Trim());
                }
            }
        }

        /// <summary>The value MimeKit reads for <paramref name="name"/> from only its plain, or only its RFC 2231 (name*), spelling in the
        /// field.</summary>
        public static string? Decoded(Header header, string name, bool extended)
        {
            var kept = new StringBuilder(header.Id == HeaderId.ContentType ? "application/octet-stream" : "attachment");
            foreach (var parameter in Read(header.RawValue))
            {
                var isExtended = parameter.Key.StartsWith(name + "*", StringComparison.OrdinalIgnoreCase);
                if (isExtended == extended && (isExtended || parameter.Key.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    kept.Append("; ").Append(parameter.Key).Append('=').Append(parameter.Value);
                }
            }

            var bytes = Encoding.UTF8.GetBytes(kept.ToString());
            if (header.Id == HeaderId.ContentType)
            {
                return ContentType.TryParse(ParserOptions.Default, bytes, out var type) ? type.Parameters[name] : null;
            }

            return ContentDisposition.TryParse(ParserOptions.Default, bytes, out var disposition) ? disposition.Parameters[name] : null;
        }

        /// <summary>Past a value (a token, a quoted string with its escapes, or a comment) up to the next ';' or the end.</summary>
        private static int SkipValue(string text, int i)
        {
            while (i < text.Length && text[i] != ';')
            {
                if (text[i] == '"')
                {
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\')
                        {
                            i++;
                        }
                    }
                }
                else if (text[i] == '(')
                {
                    var depth = 1;
                    for (i++; i < text.Length && depth > 0; i++)
                    {
                        depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
                    }

                    continue;
                }

                i++;
            }

            return i;
        }

        private static int SkipSpace(string text, int i)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            return i;
        }
    }
}
