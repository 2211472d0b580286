using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using PSCompositeMail.Reports;

namespace PSCompositeMail.Engine.Reports
{
    /// <summary>The report as plain text: the title underlined, the Markdown as text, the table in aligned columns.</summary>
    internal static class ReportText
    {
        public static string Render(ReportContent report, int barWidth)
        {
            var text = new StringBuilder();
            if (!string.IsNullOrEmpty(report.Title))
            {
                text.Append(report.Title).Append('\n').Append(new string('=', Math.Min(72, report.Title!.Length))).Append("\n\n");
            }

            if (!string.IsNullOrWhiteSpace(report.Markdown))
            {
                text.Append(MarkdownSection.ToText(report.Markdown!)).Append("\n\n");
            }

            AppendBlock(text, report.PreContent);
            if (report.Columns.Count > 0)
            {
                AppendTable(text, report, barWidth);
                text.Append('\n');
            }

            AppendBlock(text, report.PostContent);
            var result = text.ToString().TrimEnd('\n');
            return result + "\n";
        }

        private static void AppendBlock(StringBuilder text, string? block)
        {
            if (!string.IsNullOrEmpty(block))
            {
                text.Append(block!.Replace("\r\n", "\n").TrimEnd('\n')).Append("\n\n");
            }
        }

        private static void AppendTable(StringBuilder text, ReportContent report, int barWidth)
        {
            var header = new List<string>();
            var rows = report.Rows.Select(_ => new List<string>()).ToList();
            var right = new List<bool>();
            if (report.Highlighting)
            {
                header.Add(string.Empty);
                right.Add(false);
                for (var r = 0; r < rows.Count; r++)
                {
                    rows[r].Add(ReportRenderer.Marker(report.Rows[r].Highlight));
                }
            }

            for (var i = 0; i < report.Columns.Count; i++)
            {
                var column = report.Columns[i];
                header.Add(column.Name);
                right.Add(column.Numeric);
                var valueWidth = report.Rows.Select(row => row.Cells[i].Length).DefaultIfEmpty(0).Max();
                for (var r = 0; r < rows.Count; r++)
                {
                    var cell = OneLine(report.Rows[r].Cells[i]);
                    if (column.Bar && report.Rows[r].BarFractions[i] is { } fraction)
                    {
                        var filled = (int)Math.Round(fraction * barWidth, MidpointRounding.AwayFromZero);
                        cell = cell.PadLeft(valueWidth) + " [" + new string('#', filled) + new string(' ', barWidth - filled) + "]";
                    }

                    rows[r].Add(cell);
                }
            }

            var widths = header.Select((name, c) => Math.Max(Math.Max(1, name.Length), rows.Select(row => row[c].Length).DefaultIfEmpty(0).Max()))
                .ToList();
            AppendLine(text, header, widths, right);
            AppendLine(text, widths.Select(w => new string('-', w)).ToList(), widths, right);
            foreach (var row in rows)
            {
                AppendLine(text, row, widths, right);
            }
        }

        private static void AppendLine(StringBuilder text, IReadOnlyList<string> cells, IReadOnlyList<int> widths, IReadOnlyList<bool> right)
        {
            var line = string.Join("  ", cells.Select((cell, c) => right[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c])));
            text.Append(line.TrimEnd()).Append('\n');
        }

        /// <summary>A value with line breaks would break the columns: its lines are joined.</summary>
        private static string OneLine(string value) => value.IndexOf('\n') < 0 && value.IndexOf('\r') < 0
            ? value
            : string.Join(" ", value.Replace("\r\n", "\n").Split('\n', '\r'));
    }
}
