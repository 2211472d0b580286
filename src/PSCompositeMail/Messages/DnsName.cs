using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PSCompositeMail.Messages
{
    /// <summary>Host and domain names as DNS holds them: ASCII (punycode for internationalized names), lower case, no final dot.</summary>
    internal static class DnsName
    {
        // Labels of letters, digits and inner hyphens (RFC 1035), separated by dots.
        private static readonly Regex Labels = new Regex(
            "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", RegexOptions.CultureInvariant);

        /// <summary>The name in ASCII, or null when it is not a DNS name (empty, spaces, other punctuation, too long).</summary>
        public static string? ToAscii(string? value)
        {
            string ascii;
            try
            {
                ascii = new IdnMapping().GetAscii((value ?? string.Empty).Trim().TrimEnd('.'));
            }
            catch (ArgumentException)
            {
                return null;
            }

            return ascii.Length == 0 || ascii.Length > 253 || !Labels.IsMatch(ascii) ? null : ascii.ToLowerInvariant();
        }
    }
}
