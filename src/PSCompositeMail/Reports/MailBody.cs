using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Runtime.CompilerServices;

namespace PSCompositeMail.Reports
{
    /// <summary>
    /// A mail body made by ConvertTo-MailHtml: the same report as a whole HTML document (every style inline) and as
    /// plain text. Send-CompositeMail -Body sends it as multipart/alternative, text first and HTML second.
    /// </summary>
    public sealed class MailBody
    {
        internal MailBody(string? title, string html, string text, int rowCount, ReportHighlightCounts highlighted, string? layoutWarning = null)
        {
            LayoutWarning = layoutWarning;
            Title = title;
            Html = html;
            Text = text;
            RowCount = rowCount;
            Highlighted = highlighted;
        }

        public string? Title { get; }

        /// <summary>A whole HTML document: inline styles only, no style or script element, no external URL, no form.</summary>
        public string Html { get; }

        /// <summary>The same content as plain text: the title, the Markdown as text, the table in aligned columns.</summary>
        public string Text { get; }

        public int RowCount { get; }

        /// <summary>How many rows each -Highlight style marked.</summary>
        public ReportHighlightCounts Highlighted { get; }

        /// <summary>The text: where a MailBody meets a string (Send-MailMessage -Body, "$body"), it reads as the report.</summary>
        public override string ToString() => Text;

        /// <summary>
        /// The report an argument is: a MailBody, or one that lost its type on the way (Export-Clixml and
        /// Import-Clixml, a job, remoting: "Deserialized.PSCompositeMail.Reports.MailBody"; ConvertTo-Json and back: a
        /// custom object) rebuilt from its Html and Text, which it still has; otherwise null.
        /// </summary>
        internal static MailBody? From(object? argument)
        {
            if (argument is not PSObject wrapped)
            {
                return argument as MailBody;
            }

            if (wrapped.BaseObject is MailBody body)
            {
                return body;
            }

            if (wrapped.BaseObject is not PSCustomObject || wrapped.Properties["Html"]?.Value is not string html
                || wrapped.Properties["Text"]?.Value is not string text)
            {
                return null;
            }

            var deserialized = wrapped.TypeNames.Contains("Deserialized." + typeof(MailBody).FullName);
            if (!deserialized && wrapped.Properties["RowCount"] is null)
            {
                // Html and Text alone are not yet a report: such an object stays what it was.
                return null;
            }

            int Count(object? from, string name) =>
                LanguagePrimitives.TryConvertTo<int>(PSObject.AsPSObject(from ?? new object()).Properties[name]?.Value, CultureInfo.InvariantCulture,
                    out var count) ? count : 0;
            var highlighted = wrapped.Properties["Highlighted"]?.Value;
            return new MailBody(
                wrapped.Properties["Title"]?.Value as string,
                html,
                text,
                Count(wrapped, "RowCount"),
                new ReportHighlightCounts(Count(highlighted, "Critical"), Count(highlighted, "Warning"), Count(highlighted, "Good")));
        }

        /// <summary>Set when the table's columns cannot fit in the page's width: ConvertTo-MailHtml writes it as a warning.</summary>
        internal string? LayoutWarning { get; }

        /// <summary>Gmail shows only the first 102 KB of a message's HTML (then "[Message clipped]"); other readers slow down long before.</summary>
        internal const int ClippedHtmlBytes = 102 * 1024;

        /// <summary>A warning when the HTML is past what mail readers show whole; otherwise null.</summary>
        internal string? SizeWarning()
        {
            var bytes = System.Text.Encoding.UTF8.GetByteCount(Html);
            return bytes <= ClippedHtmlBytes
                ? null
                : $"The report's HTML is {bytes / 1024:N0} KB ({RowCount} row{(RowCount == 1 ? string.Empty : "s")}): Gmail shows only the first " +
                    "102 KB and clips the rest. " +
                  "Send fewer rows or columns (Select-Object -First, -Property), or attach the full data (Export-Csv and -Attachments).";
        }

        /// <summary>One line for -WhatIf, -Confirm and -Verbose.</summary>
        internal string Describe()
        {
            var title = Title is null ? string.Empty : $"'{Title}', ";
            return $"a report: {title}{RowCount} row{(RowCount == 1 ? string.Empty : "s")}{Highlighted.Describe()}, as text and HTML";
        }
    }

    /// <summary>Rows per -Highlight style.</summary>
    public sealed class ReportHighlightCounts
    {
        internal ReportHighlightCounts(int critical, int warning, int good)
        {
            Critical = critical;
            Warning = warning;
            Good = good;
        }

        public int Critical { get; }

        public int Warning { get; }

        public int Good { get; }

        internal string Describe() =>
            (Critical > 0 ? $", {Critical} critical" : string.Empty) +
            (Warning > 0 ? $", {Warning} warning" : string.Empty) +
            (Good > 0 ? $", {Good} good" : string.Empty);

        public override string ToString() => $"Critical {Critical}, Warning {Warning}, Good {Good}";
    }

    /// <summary>
    /// Lets a MailBody through Send-CompositeMail's -Body, which stays [string] as Send-MailMessage's (its type, position,
    /// rows' Body columns and delay-bind script blocks all keep working). The argument transformation hands the binder
    /// a string instance made for this one body and remembered here by reference; the cmdlet finds the body again
    /// from the very instance it was given. No other string can be that instance, so text that merely equals a
    /// report's is sent as text, and the table lets the body go once nothing holds the string any more.
    /// </summary>
    internal static class MailBodyCarrier
    {
        private static readonly ConditionalWeakTable<string, MailBody> Carried = new ConditionalWeakTable<string, MailBody>();

        public static string Carry(MailBody body)
        {
            // A fresh instance even for equal text (the report's text always ends with a line break, so is never the
            // shared empty string).
            var text = new string(body.Text.ToCharArray());
            Carried.Add(text, body);
            return text;
        }

        public static MailBody? Find(string? text) => text is not null && Carried.TryGetValue(text, out var body) ? body : null;
    }
}
