using System.Runtime.CompilerServices;

namespace PSCompositeMail.Reports
{
    /// <summary>
    /// A mail body made by ConvertTo-MailHtml: the same report as a whole HTML document (every style inline) and as
    /// plain text. Send-CompositeMail -Body sends it as multipart/alternative, text first and HTML second.
    /// </summary>
    public sealed class MailBody
    {
        internal MailBody(string? title, string html, string text, int rowCount, ReportHighlightCounts highlighted)
        {
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
