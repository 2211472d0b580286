using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// RFC 5322 3.3 date-time, strictly: a lenient parser reads "25:61:61" or a zone of "+9959" as something else and
    /// drops trailing junk, so a value is only accepted when every part is real, and then written as it was given
    /// ("-0000", which means "no zone information", stays "-0000").
    /// </summary>
    internal static class RfcDateTime
    {
        private const int LatestZoneHours = 14;

        private static readonly string[] Months = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

        private static readonly Regex Syntax = new Regex(
            @"^\s*(?:(?<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s*,\s*)?(?<day>\d{1,2})\s+(?<month>[A-Za-z]{3})\s+(?<year>\d{4})\s+" +
            @"(?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2}))?\s+(?<zone>[+-]\d{4})\s*(?:\([^()\\]*\)\s*)?$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public static bool IsValid(string value)
        {
            var match = Syntax.Match(value);
            if (!match.Success)
            {
                return false;
            }

            int Number(string group) => match.Groups[group].Success ? int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
            var month = Array.FindIndex(Months, m => m.Equals(match.Groups["month"].Value, StringComparison.OrdinalIgnoreCase)) + 1;
            var (year, day, zone) = (Number("year"), Number("day"), match.Groups["zone"].Value);
            var zoneHours = int.Parse(zone.Substring(1, 2), CultureInfo.InvariantCulture);
            var zoneMinutes = int.Parse(zone.Substring(3, 2), CultureInfo.InvariantCulture);
            // A second of 60 is a leap second (RFC 5322 3.3).
            var real = month > 0 && year >= 1900 && day >= 1 && day <= DateTime.DaysInMonth(year, month) &&
                Number("hour") <= 23 && Number("minute") <= 59 && Number("second") <= 60 &&
                zoneHours <= LatestZoneHours && zoneMinutes <= 59;
            return real && (!match.Groups["weekday"].Success || WeekdayMatches(match.Groups["weekday"].Value, new DateTime(year, month, day)));
        }

        private static bool WeekdayMatches(string weekday, DateTime date) =>
            weekday.Equals(date.ToString("ddd", CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase);
    }
}
