using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Numerics;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Reports
{
    /// <summary>A value as PowerShell's tables show it, and whether it is a number a bar can be drawn for.</summary>
    internal static class ValueText
    {
        /// <summary>
        /// As Format-Table shows it: nothing for $null, True/False, numbers and dates in the session's culture (as
        /// PowerShell's own output does, unlike "$value", which is invariant), a double to 15 digits (0.1 + 0.2 is
        /// 0.3, as PowerShell shows it), a collection as {a, b, c} with at most <paramref name="enumerationLimit"/>
        /// items ($FormatEnumerationLimit; a negative limit shows all), a hashtable as its entries. Control characters
        /// and bidirectional overrides are shown as escapes (\x1B, \u202E), line breaks kept.
        /// </summary>
        public static string Format(object? value, CultureInfo culture, int enumerationLimit) => Escaped(Shown(value, culture, enumerationLimit))!;

        /// <summary>Text a report shows (a title, Markdown, a value): control characters and bidirectional overrides as escapes, line breaks
        /// kept.</summary>
        public static string? Escaped(string? text) => text is null ? null
            : ControlCharacters.Escape(text.Replace("\r\n", "\n"), keepLineFeeds: true);

        private static string Shown(object? value, CultureInfo culture, int enumerationLimit)
        {
            value = Unwrap(value);
            switch (value)
            {
                case null:
                    return string.Empty;
                case string text:
                    return text;
                case bool flag:
                    return flag ? "True" : "False";
                case double number:
                    return number.ToString("G15", culture);
                case IFormattable formattable:
                    return formattable.ToString(null, culture);
                case IDictionary entries:
                    return Enumeration(entries.Cast<DictionaryEntry>()
                        .Select(e => $"[{Shown(e.Key, culture, enumerationLimit)}, {Shown(e.Value, culture, enumerationLimit)}]"), enumerationLimit);
                case IEnumerable items:
                    return Enumeration(items.Cast<object?>().Select(item => Shown(item, culture, enumerationLimit)), enumerationLimit);
                default:
                    return PSObject.AsPSObject(value).ToString();
            }
        }

        /// <summary>{a, b, c…}: only the items shown are enumerated, so a huge collection costs no more than its first items.</summary>
        private static string Enumeration(IEnumerable<string> items, int limit)
        {
            if (limit < 0)
            {
                return "{" + string.Join(", ", items) + "}";
            }

            var shown = items.Take(limit + 1).ToList();
            return shown.Count > limit ? "{" + string.Join(", ", shown.Take(limit)) + "…}" : "{" + string.Join(", ", shown) + "}";
        }

        /// <summary>
        /// The value as a number: a numeric type (a BigInteger too), or text that reads as one (an Import-Csv cell);
        /// otherwise null. NaN and infinities are no number a bar could show: null too, so only that cell has no bar.
        /// </summary>
        public static double? Number(object? value, CultureInfo culture)
        {
            value = Unwrap(value);
            double number;
            switch (value)
            {
                case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal:
                    number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    break;
                case BigInteger big:
                    number = (double)big;
                    break;
                case string text when double.TryParse(text, NumberStyles.Float, culture, out var parsed)
                    || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed):
                    number = parsed;
                    break;
                default:
                    return null;
            }

            return double.IsNaN(number) || double.IsInfinity(number) ? null : number;
        }

        /// <summary>Whether the value is NaN or an infinity: a number that has no bar, but does not make its column text.</summary>
        public static bool IsNumberWithoutSize(object? value) =>
            Unwrap(value) switch
            {
                double d => double.IsNaN(d) || double.IsInfinity(d),
                float f => float.IsNaN(f) || float.IsInfinity(f),
                _ => false,
            };

        private static object? Unwrap(object? value) => value is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject
            : value;
    }
}
