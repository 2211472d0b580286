using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using PSCompositeMail.Reports;

namespace PSCompositeMail.Engine.Reports
{
    /// <summary>
    /// Renders a report as a whole HTML document laid out in tables (explicit widths, at most 600 px, readable in
    /// Outlook's Word engine) whose styles PreMailer moves inline, and as aligned plain text with the same content.
    /// </summary>
    internal static class ReportRenderer
    {
        /// <summary>How wide a bar column's bar is, in characters of the text version and in share of the HTML cell.</summary>
        private const int TextBarWidth = 10;

        public static MailBody Render(ReportContent report)
        {
            var counts = new ReportHighlightCounts(
                report.Rows.Count(r => r.Highlight == RowHighlight.Critical),
                report.Rows.Count(r => r.Highlight == RowHighlight.Warning),
                report.Rows.Count(r => r.Highlight == RowHighlight.Good));
            return new MailBody(report.Title, Html(report), ReportText.Render(report, TextBarWidth), report.Rows.Count, counts);
        }

        private static string Html(ReportContent report)
        {
            var html = new StringBuilder(4096 + (report.Rows.Count * 160 * Math.Max(1, report.Columns.Count)));
            html.Append("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">")
                .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
                .Append(Encode(report.Title ?? string.Empty)).Append("</title></head>")
                .Append("<body class=\"body\"><table role=\"presentation\" class=\"outer\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td class=\"outer-cell\" align=\"center\">")
                .Append("<table role=\"presentation\" class=\"page\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\">");
            if (!string.IsNullOrEmpty(report.Title))
            {
                html.Append("<tr><td class=\"title\">").Append(Encode(report.Title!)).Append("</td></tr>");
            }

            if (!string.IsNullOrWhiteSpace(report.Markdown))
            {
                html.Append("<tr><td class=\"section\">").Append(MarkdownSection.ToHtml(report.Markdown!)).Append("</td></tr>");
            }

            AppendText(html, report.PreContent);
            if (report.Columns.Count > 0)
            {
                html.Append("<tr><td class=\"table-holder\">");
                AppendTable(html, report);
                html.Append("</td></tr>");
            }

            AppendText(html, report.PostContent);
            html.Append("</table></td></tr></table></body></html>");
            return PreMailer.Net.PreMailer.MoveCssInline(
                html.ToString(), removeStyleElements: true, ignoreElements: null, css: ReportStyle.Css, stripIdAndClassAttributes: true, removeComments: true).Html;
        }

        /// <summary>-PreContent and -PostContent: text, escaped, its line breaks kept.</summary>
        private static void AppendText(StringBuilder html, string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            var lines = text!.Replace("\r\n", "\n").Split('\n').Select(Encode);
            html.Append("<tr><td class=\"section\">").Append(string.Join("<br>", lines)).Append("</td></tr>");
        }

        private static void AppendTable(StringBuilder html, ReportContent report)
        {
            var widths = ColumnWidths(report);
            html.Append("<table class=\"report\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
            var w = 0;
            if (report.Highlighting)
            {
                html.Append("<th class=\"head\" align=\"left\" width=\"").Append(widths[w++]).Append("%\"></th>");
            }

            foreach (var column in report.Columns)
            {
                html.Append("<th class=\"head").Append(column.Numeric ? " num\" align=\"right\"" : "\" align=\"left\"")
                    .Append(" width=\"").Append(widths[w++]).Append("%\">").Append(Encode(column.Name)).Append("</th>");
            }

            html.Append("</tr>");
            foreach (var row in report.Rows)
            {
                var style = row.Highlight == RowHighlight.None ? string.Empty : " " + row.Highlight.ToString().ToLowerInvariant();
                html.Append("<tr>");
                if (report.Highlighting)
                {
                    html.Append("<td class=\"cell marker").Append(style).Append("\">").Append(Marker(row.Highlight)).Append("</td>");
                }

                for (var i = 0; i < report.Columns.Count; i++)
                {
                    var column = report.Columns[i];
                    html.Append("<td class=\"cell").Append(column.Numeric && !column.Bar ? " num" : string.Empty).Append(style).Append('"')
                        .Append(column.Numeric && !column.Bar ? " align=\"right\">" : ">");
                    if (column.Bar && row.BarFractions[i] is { } fraction)
                    {
                        AppendBar(html, row.Cells[i], fraction);
                    }
                    else
                    {
                        html.Append(Encode(row.Cells[i]));
                    }

                    html.Append("</td>");
                }

                html.Append("</tr>");
            }

            html.Append("</table>");
        }

        /// <summary>
        /// The value, then a bar of two table cells whose widths are its share: no image, script or SVG, so Outlook's
        /// Word engine draws it too (bgcolor for readers that ignore the style).
        /// </summary>
        private static void AppendBar(StringBuilder html, string value, double fraction)
        {
            var filled = (int)Math.Round(fraction * 100, MidpointRounding.AwayFromZero);
            html.Append("<table role=\"presentation\" class=\"bar\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>")
                .Append("<td class=\"bar-value\" width=\"40%\" align=\"right\">").Append(Encode(value)).Append("</td>")
                .Append("<td width=\"60%\"><table role=\"presentation\" class=\"bar-track\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
            if (filled > 0)
            {
                html.Append("<td class=\"bar-fill\" width=\"").Append(filled).Append("%\" height=\"10\" bgcolor=\"").Append(ReportStyle.FillColour).Append("\">&nbsp;</td>");
            }

            if (filled < 100)
            {
                html.Append("<td class=\"bar-rest\" width=\"").Append(100 - filled).Append("%\" height=\"10\" bgcolor=\"").Append(ReportStyle.RestColour).Append("\">&nbsp;</td>");
            }

            html.Append("</tr></table></td></tr></table>");
        }

        /// <summary>
        /// Each column's share of the 600 px, from the length of what it holds (a bar column gets room for its bar):
        /// explicit widths, so the fixed layout never depends on the reader's guess.
        /// </summary>
        private static IReadOnlyList<int> ColumnWidths(ReportContent report)
        {
            var weights = new List<double>();
            if (report.Highlighting)
            {
                weights.Add(9);
            }

            for (var i = 0; i < report.Columns.Count; i++)
            {
                var longest = report.Rows.Select(r => r.Cells[i].Length).DefaultIfEmpty(0).Max();
                var weight = Math.Max(8, Math.Min(28, Math.Max(longest, report.Columns[i].Name.Length)));
                weights.Add(report.Columns[i].Bar ? weight + 12 : weight);
            }

            var total = weights.Sum();
            var widths = weights.Select(x => (int)Math.Floor(x * 100 / total)).ToList();
            widths[widths.Count - 1] += 100 - widths.Sum();
            return widths;
        }

        public static string Marker(RowHighlight highlight) => highlight == RowHighlight.None ? string.Empty : highlight.ToString().ToUpperInvariant();

        private static string Encode(string text) => WebUtility.HtmlEncode(text);
    }
}
