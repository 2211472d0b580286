using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// Checks the parameters that become headers as they are given (ids, -Headers) and the body's charset, before
    /// anything is built: every bad value is a <see cref="MessageValidationException"/> for that one message.
    /// </summary>
    internal static class HeaderInputValidator
    {
        private const string Atext = "!#$%&'*+-/=?^_`{|}~";

        private static readonly char[] IdSeparators = { ' ', '\t', '<' };

        private const string BodyParameters = "-Body, -HtmlBody, -BodyAsHtml, -Attachments and -Encoding";

        /// <summary>Headers another parameter writes; setting them through -Headers would contradict it (or, for Bcc, vanish).</summary>
        private static readonly Dictionary<string, string> OwnedHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["From"] = "-From",
            ["Sender"] = "-Sender",
            ["To"] = "-To",
            ["Cc"] = "-Cc",
            ["Bcc"] = "-Bcc (recipients no header shows)",
            ["Reply-To"] = "-ReplyTo",
            ["Subject"] = "-Subject",
            ["Message-Id"] = "-MessageId",
            ["Priority"] = "-Priority",
            ["Importance"] = "-Priority",
            ["X-Priority"] = "-Priority",
            ["MIME-Version"] = BodyParameters,
            ["Content-Type"] = BodyParameters,
            ["Content-Transfer-Encoding"] = BodyParameters,
            ["Content-Disposition"] = BodyParameters,
            ["Content-Id"] = BodyParameters,
        };

        /// <summary>-MessageId as the id alone (no angle brackets), or null when none was given.</summary>
        public static string? MessageId(string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            return ParseId(value!, "MessageId", requireDomain: true, allowUtf8: false);
        }

        /// <summary>
        /// One or more msg-ids (In-Reply-To, References), with or without angle brackets, separated by spaces or not at
        /// all, written back as "&lt;a@b&gt; &lt;c@d&gt;". Non-ASCII ids are allowed here (RFC 6532): they refer to
        /// messages other systems wrote, and the wire check sends them only to a server that offers SMTPUTF8.
        /// </summary>
        public static string MessageIdList(string value, string parameter)
        {
            var ids = new List<string>();
            var at = 0;
            while (at < value.Length)
            {
                if (char.IsWhiteSpace(value[at]))
                {
                    at++;
                    continue;
                }

                var end = value[at] == '<' ? value.IndexOf('>', at) + 1 : value.IndexOfAny(IdSeparators, at);
                end = end <= 0 ? value.Length : end;
                ids.Add(ParseId(value.Substring(at, end - at), parameter, requireDomain: true, allowUtf8: true, within: value));
                at = end;
            }

            if (ids.Count == 0)
            {
                throw new MessageValidationException($"-{parameter} is empty: give one or more ids such as '<report-42@example.com>'.", parameter,
                    value);
            }

            return string.Join(" ", ids.Select(id => $"<{id}>"));
        }

        /// <summary>A key of -InlineAttachments: the id the HTML refers to as cid:&lt;id&gt;.</summary>
        public static string ContentId(string key) => ParseId(key, "InlineAttachments", requireDomain: false, allowUtf8: false);

        public static List<KeyValuePair<string, string>> Headers(IDictionary? headers)
        {
            var valid = new List<KeyValuePair<string, string>>();
            if (headers is null)
            {
                return valid;
            }

            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in headers)
            {
                var name = entry.Key?.ToString() ?? string.Empty;
                if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
                {
                    throw new MessageValidationException(
                        $"'{ControlCharacters.Escape(name)}' is not a valid header name for -Headers: use printable ASCII without spaces or ':'.",
                            "Headers", name);
                }

                if (OwnedHeaders.TryGetValue(name, out var owner))
                {
                    throw new MessageValidationException($"-Headers cannot set '{name}': use {owner} instead.", "Headers", name);
                }

                if (!names.Add(name))
                {
                    throw new MessageValidationException(
                        $"-Headers names '{name}' twice, in different letter case: header names are the same whatever their case, so one value " +
                            "would be lost. Give it once.", "Headers", name);
                }

                if (entry.Value is IEnumerable and not string)
                {
                    // ToString() of an array or a hashtable is its .NET type name ("System.Object[]"), never what was meant.
                    throw new MessageValidationException(
                        $"-Headers['{name}'] is a list or a table, not one text: give one text per header, such as @{{ '{name}' = 'a, b' }}.",
                            $"Headers['{name}']", entry.Value);
                }

                var value = entry.Value?.ToString() ?? string.Empty;
                HeaderValueGuard.RejectControlCharacters(value, $"Headers['{name}']");
                valid.Add(new KeyValuePair<string, string>(name, HeaderFieldRules.Check(name, value)));
            }

            HeaderFieldRules.CheckTogether(valid);
            return valid;
        }

        /// <summary>An encoding that cannot hold the text would silently send '?' in its place.</summary>
        public static void RequireEncodable(Encoding encoding, string? text, string parameter)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            // Checked first: for half a character the encoder reports no whole character to name.
            HeaderValueGuard.RejectUnpairedSurrogates(text, parameter);
            if (encoding is UTF8Encoding or UnicodeEncoding or UTF32Encoding)
            {
                // These hold every character once no surrogate stands alone: no strict copy to make for every message.
                return;
            }

            var strict = (Encoding)encoding.Clone();
            strict.EncoderFallback = EncoderFallback.ExceptionFallback;
            try
            {
                strict.GetByteCount(text);
            }
            catch (EncoderFallbackException ex)
            {
                var character = ex.CharUnknown != '\0' ? ex.CharUnknown.ToString() : new string(new[] { ex.CharUnknownHigh, ex.CharUnknownLow });
                var code = char.ConvertToUtf32(character, 0).ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
                throw new MessageValidationException(
                    $"-Encoding {encoding.WebName} cannot hold the character '{character}' (U+{code}) of -{parameter}. Use -Encoding utf8 (the " +
                        "default), which holds every character.",
                    "Encoding",
                    encoding.WebName,
                    inner: ex);
            }
        }

        /// <summary>
        /// One msg-id (RFC 5322): id-left, '@', id-right, in printable ASCII, with or without its angle brackets.
        /// MimeKit would otherwise keep the first id of 'a@b&gt; &lt;c@d' and drop the rest, or throw for '&lt;&gt;'.
        /// With <paramref name="allowUtf8"/>, non-ASCII characters count as id characters too (RFC 6532). An id taken
        /// from a list names the whole list, <paramref name="within"/>, as the bad value.
        /// </summary>
        private static string ParseId(string value, string parameter, bool requireDomain, bool allowUtf8, string? within = null)
        {
            var id = value.Trim();
            if (id.Length >= 2 && id[0] == '<' && id[id.Length - 1] == '>')
            {
                id = id.Substring(1, id.Length - 2);
            }

            // Before the header rule: for an id, a bidi override is one more invisible character that disguises it.
            var invisible = HeaderValueGuard.IndexOfFormatCharacter(id);
            if (invisible >= 0)
            {
                throw new MessageValidationException(
                    $"The value of -{parameter} contains the invisible formatting character {ControlCharacters.Describe(id[invisible])}: it makes " +
                        "an id look like another one, so it is not allowed in an id.", parameter, within ?? value);
            }

            HeaderValueGuard.RejectControlCharacters(value, parameter);

            var nonAscii = allowUtf8 ? '\0' : id.FirstOrDefault(c => c > '\u007E');
            if (nonAscii != '\0')
            {
                throw new MessageValidationException(
                    $"The value of -{parameter} contains the non-ASCII character '{nonAscii}': an id is written in ASCII letters, digits and " +
                        "punctuation.", parameter, value);
            }

            var at = id.IndexOf('@');
            var left = at < 0 ? id : id.Substring(0, at);
            var right = at < 0 ? null : id.Substring(at + 1);
            var valid = IsDotAtomText(left, allowUtf8) && (right is null ? !requireDomain : IsDotAtomText(right, allowUtf8)
                || IsDomainLiteral(right));
            if (!valid)
            {
                var example = requireDomain ? "'report-42@example.com'" : "'logo' or 'logo@example.com'";
                var expected = within is null ? "give one id such as" : "each id is one such as";
                throw new MessageValidationException(
                    $"'{value}' is not a valid -{parameter}: {expected} {example}, made of letters, digits, '.' and {Atext}", parameter,
                        within ?? value);
            }

            return id;
        }

        internal static bool IsDotAtomText(string text, bool allowUtf8 = false) =>
            text.Length > 0 && text.All(c => c > 127 ? allowUtf8 : char.IsLetterOrDigit(c) || c == '.' || Atext.IndexOf(c) >= 0);

        private static bool IsDomainLiteral(string text) =>
            text.Length >= 2 && text[0] == '[' && text[text.Length - 1] == ']' &&
            text.Substring(1, text.Length - 2).All(c => c > ' ' && c < 127 && c != '[' && c != ']' && c != '\\');
    }
}
