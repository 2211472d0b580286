using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace PSCompositeMail.Reports
{
    /// <summary>A value as PowerShell's tables show it, and whether it is a number a bar can be drawn for.</summary>
    internal static class ValueText
    {
        /// <summary>
        /// As Format-Table shows it: nothing for $null, True/False, numbers and dates in the session's culture (as
        /// PowerShell's own output does, unlike "$value", which is invariant), a collection as {a, b, c}.
        /// </summary>
        public static string Format(object? value, CultureInfo culture)
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
                case IFormattable formattable:
                    return formattable.ToString(null, culture);
                case IDictionary:
                    return PSObject.AsPSObject(value).ToString();
                case IEnumerable items:
                    return "{" + string.Join(", ", items.Cast<object?>().Select(item => Format(item, culture))) + "}";
                default:
                    return PSObject.AsPSObject(value).ToString();
            }
        }

        /// <summary>The value as a number: a numeric type, or text that reads as one (an Import-Csv cell); otherwise null.</summary>
        public static double? Number(object? value, CultureInfo culture)
        {
            value = Unwrap(value);
            switch (value)
            {
                case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal:
                    var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    return double.IsNaN(number) || double.IsInfinity(number) ? null : number;
                case string text when double.TryParse(text, NumberStyles.Float, culture, out var parsed)
                    || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed):
                    return double.IsNaN(parsed) || double.IsInfinity(parsed) ? null : parsed;
                default:
                    return null;
            }
        }

        private static object? Unwrap(object? value) => value is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject : value;
    }
}
