using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
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
            var (widths, layoutWarning) = ColumnWidths(report);
            return new MailBody(report.Title, Html(report, widths), ReportText.Render(report, TextBarWidth), report.Rows.Count, counts,
                layoutWarning);
        }

        private static string Html(ReportContent report, IReadOnlyList<string> widths)
        {
            // The page around the table is inlined whole; the table is written with the styles of its kinds of
            // element (ElementStyles) and put in the place of a token no text can hold.
            var tableToken = "report-table-" + Guid.NewGuid().ToString("N");
            var page = new StringBuilder(4096);
            page.Append("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">")
                .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
                .Append(Encode(report.Title ?? string.Empty)).Append("</title></head>")
                .Append("<body class=\"body\"><table role=\"presentation\" class=\"outer\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" " +
                    "border=\"0\"><tr><td class=\"outer-cell\" align=\"center\">")
                .Append("<table role=\"presentation\" class=\"page\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\">");
            if (!string.IsNullOrEmpty(report.Title))
            {
                page.Append("<tr><td class=\"title\">").Append(Encode(report.Title!)).Append("</td></tr>");
            }

            if (!string.IsNullOrWhiteSpace(report.Markdown))
            {
                page.Append("<tr><td class=\"section\">").Append(MarkdownSection.ToHtml(report.Markdown!)).Append("</td></tr>");
            }

            AppendText(page, report.PreContent);
            if (report.Columns.Count > 0)
            {
                page.Append("<tr><td class=\"table-holder\">").Append(tableToken).Append("</td></tr>");
            }

            AppendText(page, report.PostContent);
            page.Append("</table></td></tr></table></body></html>");
            var inlined = PreMailer.Net.PreMailer.MoveCssInline(
                page.ToString(), removeStyleElements: true, ignoreElements: null, css: ReportStyle.Css, stripIdAndClassAttributes: true,
                    removeComments: true).Html;
            inlined = PageWidthForOutlook(inlined);
            return report.Columns.Count > 0 ? inlined.Replace(tableToken, Table(report, widths)) : inlined;
        }

        /// <summary>
        /// The page is as wide as the window up to 600 px (CSS width 100%, max-width 600px), so it narrows on a phone.
        /// PreMailer copies that CSS width into the page's width attribute; Outlook's Word engine reads only the
        /// attribute and ignores max-width, so there the attribute must say 600.
        /// </summary>
        private static string PageWidthForOutlook(string html)
        {
            const string copied = "width=\"100%\"";
            var style = html.IndexOf("max-width: 600px", StringComparison.Ordinal);
            var tag = style < 0 ? -1 : html.LastIndexOf("<table", style, StringComparison.Ordinal);
            var attribute = tag < 0 ? -1 : html.IndexOf(copied, tag, style - tag, StringComparison.Ordinal);
            return attribute < 0 ? html : html.Substring(0, attribute) + "width=\"600\"" + html.Substring(attribute + copied.Length);
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

        /// <summary>Every kind of element (tag and classes) a table may hold.</summary>
        internal static IEnumerable<(string Tag, string Classes)> TableElementKinds()
        {
            var styles = new[] { string.Empty, " critical", " warning", " good" };
            yield return ("table", "report");
            yield return ("th", "head");
            yield return ("th", "head num");
            foreach (var style in styles)
            {
                yield return ("td", "cell marker" + style);
                yield return ("td", "cell" + style);
                yield return ("td", "cell num" + style);
            }

            yield return ("table", "bar");
            yield return ("td", "bar-value");
            yield return ("table", "bar-track");
            yield return ("td", "bar-fill");
            yield return ("td", "bar-rest");
        }

        /// <summary>The stylesheet is a constant: its table elements are inlined once per process.</summary>
        internal static readonly Lazy<ElementStyles> TableStyles = new Lazy<ElementStyles>(() =>
            ElementStyles.Inline(TableElementKinds(), ReportStyle.Css));

        private static readonly (string, string)[] LayoutTable = { ("width", "100%"), ("cellpadding", "0"), ("cellspacing", "0"), ("border", "0") };

        private static string Table(ReportContent report, IReadOnlyList<string> widths)
        {
            var kinds = TableStyles.Value;
            // No capacity from the row and column counts: it would be a guess, and for large tables past int's range.
            var html = new StringBuilder();
            kinds.Open(html, "table", "report", LayoutTable).Append("<tbody><tr>");
            var w = 0;
            if (report.Highlighting)
            {
                kinds.Open(html, "th", "head", ("align", "left"), ("width", widths[w++])).Append("</th>");
            }

            foreach (var column in report.Columns)
            {
                kinds.Open(html, "th", column.Numeric ? "head num" : "head", ("align", column.Numeric ? "right" : "left"), ("width", widths[w++]))
                    .Append(Encode(column.Name)).Append("</th>");
            }

            html.Append("</tr>");
            foreach (var row in report.Rows)
            {
                var style = row.Highlight == RowHighlight.None ? string.Empty : " " + row.Highlight.ToString().ToLowerInvariant();
                html.Append("<tr>");
                if (report.Highlighting)
                {
                    kinds.Open(html, "td", "cell marker" + style).Append(Marker(row.Highlight)).Append("</td>");
                }

                for (var i = 0; i < report.Columns.Count; i++)
                {
                    var column = report.Columns[i];
                    if (column.Bar && row.BarFractions[i] is { } fraction)
                    {
                        kinds.Open(html, "td", "cell" + style);
                        AppendBar(html, kinds, row.Cells[i], fraction);
                    }
                    else if (column.Numeric)
                    {
                        kinds.Open(html, "td", "cell num" + style, ("align", "right")).Append(Encode(row.Cells[i]));
                    }
                    else
                    {
                        kinds.Open(html, "td", "cell" + style).Append(Encode(row.Cells[i]));
                    }

                    html.Append("</td>");
                }

                html.Append("</tr>");
            }

            return html.Append("</tbody></table>").ToString();
        }

        /// <summary>
        /// The value, then a bar of two table cells whose widths are its share: no image, script or SVG, so Outlook's
        /// Word engine draws it too (bgcolor for readers that ignore the style).
        /// </summary>
        private static void AppendBar(StringBuilder html, ElementStyles kinds, string value, double fraction)
        {
            var filled = (int)Math.Round(fraction * 100, MidpointRounding.AwayFromZero);
            kinds.Open(html, "table", "bar", LayoutTable).Append("<tbody><tr>");
            kinds.Open(html, "td", "bar-value", ("width", "40%"), ("align", "right")).Append(Encode(value)).Append("</td><td width=\"60%\">");
            kinds.Open(html, "table", "bar-track", LayoutTable).Append("<tbody><tr>");
            if (filled > 0)
            {
                kinds.Open(html, "td", "bar-fill", ("width", filled + "%"), ("height", "10"), ("bgcolor", ReportStyle.FillColour))
                    .Append("&nbsp;</td>");
            }

            if (filled < 100)
            {
                kinds.Open(html, "td", "bar-rest", ("width", (100 - filled) + "%"), ("height", "10"), ("bgcolor", ReportStyle.RestColour))
                    .Append("&nbsp;</td>");
            }

            html.Append("</tr></tbody></table></td></tr></tbody></table>");
        }

        /// <summary>The table's width: the page's 600 px less the table holder's padding (12 px each side).</summary>
        private const double TableWidth = 576;

        /// <summary>The narrowest a column may be, in px: the marker column holds CRITICAL in bold, a bar column a value and its bar.</summary>
        private const double MarkerMinimum = 80, ColumnMinimum = 32, BarColumnMinimum = 110;

        /// <summary>
        /// Each column's share of the table in percent (to a tenth), from the length of what it holds (a bar column
        /// gets room for its bar), but never under its minimum: explicit widths, so the fixed layout never depends on
        /// the reader's guess. The warning says when the columns cannot fit in 600 px even at their minimum.
        /// </summary>
        internal static (IReadOnlyList<string> Widths, string? Warning) ColumnWidths(ReportContent report)
        {
            var weights = new List<double>();
            var minimums = new List<double>();
            if (report.Highlighting)
            {
                weights.Add(9);
                minimums.Add(MarkerMinimum);
            }

            for (var i = 0; i < report.Columns.Count; i++)
            {
                var longest = report.Rows.Select(r => r.Cells[i].Length).DefaultIfEmpty(0).Max();
                var weight = Math.Max(8, Math.Min(28, Math.Max(longest, report.Columns[i].Name.Length)));
                weights.Add(report.Columns[i].Bar ? weight + 12 : weight);
                minimums.Add(report.Columns[i].Bar ? BarColumnMinimum : ColumnMinimum);
            }

            string? warning = null;
            double[] pixels;
            if (minimums.Count > 0 && minimums.Sum() > TableWidth)
            {
                warning = $"The report has {report.Columns.Count} columns, which need at least {minimums.Sum():N0} px, more than the 600 px a mail " +
                    "is wide: " +
                    "readers show them squeezed. Choose fewer columns with -Property.";
                pixels = minimums.Select(m => m * TableWidth / minimums.Sum()).ToArray();
            }
            else
            {
                pixels = SharedOut(weights, minimums);
            }

            // Tenths of a percent that add up to 100 exactly: the largest remainders get the tenths rounding left over.
            var tenths = pixels.Select(px => px * 1000 / TableWidth).ToList();
            var whole = tenths.Select(t => (int)Math.Floor(t)).ToArray();
            foreach (var i in tenths.Select((t, i) => (Remainder: t - Math.Floor(t), Index: i)).OrderByDescending(x => x.Remainder)
                .Take(1000 - whole.Sum()).Select(x => x.Index))
            {
                whole[i]++;
            }

            return (whole.Select(t => (t / 10.0).ToString("0.#", CultureInfo.InvariantCulture) + "%").ToList(), warning);
        }

        /// <summary>The table's width shared by weight, each column at least its minimum (those under it get it, the rest share what is
        /// left).</summary>
        private static double[] SharedOut(IReadOnlyList<double> weights, IReadOnlyList<double> minimums)
        {
            var atMinimum = new bool[weights.Count];
            while (true)
            {
                var left = TableWidth - minimums.Where((_, i) => atMinimum[i]).Sum();
                var weight = weights.Where((_, i) => !atMinimum[i]).Sum();
                var pixels = weights.Select((w, i) => atMinimum[i] ? minimums[i] : w * left / weight).ToArray();
                var under = Enumerable.Range(0, weights.Count).Where(i => !atMinimum[i] && pixels[i] < minimums[i]).ToList();
                if (under.Count == 0)
                {
                    return pixels;
                }

                under.ForEach(i => atMinimum[i] = true);
            }
        }

        public static string Marker(RowHighlight highlight) => highlight == RowHighlight.None ? string.Empty : highlight.ToString()
            .ToUpperInvariant();

        /// <summary>
        /// Text as HTML: the characters that could open markup or end an attribute are escaped; everything else,
        /// non-ASCII text included, is written as it is (the part is UTF-8), as PreMailer's serializer writes it.
        /// </summary>
        public static string Encode(string text)
        {
            if (text.IndexOfAny(MarkupCharacters) < 0)
            {
                return text;
            }

            var encoded = new StringBuilder(text.Length + 16);
            foreach (var c in text)
            {
                _ = c switch
                {
                    '&' => encoded.Append("&amp;"),
                    '<' => encoded.Append("&lt;"),
                    '>' => encoded.Append("&gt;"),
                    '"' => encoded.Append("&quot;"),
                    '\'' => encoded.Append("&#39;"),
                    _ => encoded.Append(c),
                };
            }

            return encoded.ToString();
        }

        private static readonly char[] MarkupCharacters = { '&', '<', '>', '"', '\'' };
    }
}
