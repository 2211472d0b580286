using System.Globalization;
using System.Linq;
using System.Text;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// Characters that make a receiver or a terminal do something instead of showing text: C0 controls but TAB,
    /// DEL, C1 controls (0x9B is a CSI to some terminals), and the Unicode line and paragraph separators. Public so
    /// that the format views can show subjects and errors escaped too.
    /// </summary>
    public static class ControlCharacters
    {
        public static bool IsUnsafe(char c) =>
            (c < ' ' && c != '\t') || (c >= '\u007F' && c <= '\u009F') || c == '\u2028' || c == '\u2029';

        public static int IndexOfUnsafe(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (IsUnsafe(text[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>How a character is named in messages and shown escaped: \x1B, or \u2028 beyond Latin-1.</summary>
        public static string Describe(char c) =>
            c <= '\u00FF'
                ? "\\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture)
                : "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);

        /// <summary>The text with every unsafe character written as its escape, so that showing it cannot drive a terminal.</summary>
        /// <remarks>Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are escaped too: shown raw they reorder what
        /// follows.</remarks>
        public static string Escape(string? text, bool keepLineFeeds = false)
        {
            if (string.IsNullOrEmpty(text))
            {
                return text ?? string.Empty;
            }

            var escaped = new StringBuilder(text!.Length + 16);
            foreach (var c in text)
            {
                if ((IsUnsafe(c) || IsBidiControl(c)) && !(keepLineFeeds && c == '\n'))
                {
                    escaped.Append(Describe(c));
                }
                else
                {
                    escaped.Append(c);
                }
            }

            return escaped.ToString();
        }

        /// <summary>
        /// Text for one line (a Reason, a log field, a table cell): its line breaks (a server's multi-line reply) and tabs
        /// (which would push a table's columns apart) made spaces, control characters escaped.
        /// </summary>
        public static string OneLine(string? text) =>
            Escape(text is null ? null : System.Text.RegularExpressions.Regex.Replace(text, @"\s*[\r\n]+\s*|\t", " "));

        /// <summary>
        /// A property's value as a list view shows it, escaped: text with its line feeds (a body reads as lines), a list
        /// as PowerShell shows one ({a, b}, each item escaped), an exception as its type and message, anything else as
        /// its text. The list views use it for every property that can hold outside text; the object keeps the value.
        /// </summary>
        public static string Show(object? value) => value switch
        {
            null => string.Empty,
            string text => Escape(text, keepLineFeeds: true),
            System.Exception exception => Escape($"{exception.GetType().FullName}: {exception.Message}", keepLineFeeds: true),
            System.Collections.IDictionary => Escape(value.ToString()),
            System.Collections.IEnumerable items => "{" + string.Join(", ", items.Cast<object?>().Select(Show)) + "}",
            _ => Escape(value.ToString()),
        };

        /// <summary>The position of the first bidirectional override or isolate, or -1.</summary>
        public static int IndexOfBidiControl(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (IsBidiControl(text[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        private static bool IsBidiControl(char c) => (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
    }
}
