using System.Collections.Generic;

namespace PSCompositeMail.Reports
{
    /// <summary>How a -Highlight style marks a row; the first matching style in this order wins.</summary>
    internal enum RowHighlight
    {
        None,
        Critical,
        Warning,
        Good,
    }

    /// <summary>A column of the report table.</summary>
    internal sealed class ReportColumn
    {
        public ReportColumn(string name, bool numeric, bool bar)
        {
            Name = name;
            Numeric = numeric;
            Bar = bar;
        }

        public string Name { get; }

        /// <summary>Every value is a number: aligned right.</summary>
        public bool Numeric { get; }

        /// <summary>Drawn with a bar beside each value (-Bar).</summary>
        public bool Bar { get; }
    }

    /// <summary>One row: its values as PowerShell shows them, and for bar columns the bar's length.</summary>
    internal sealed class ReportRow
    {
        public ReportRow(IReadOnlyList<string> cells, IReadOnlyList<double?> barFractions, RowHighlight highlight)
        {
            Cells = cells;
            BarFractions = barFractions;
            Highlight = highlight;
        }

        public IReadOnlyList<string> Cells { get; }

        /// <summary>Per column: the bar's length from 0 to 1, or null (not a bar column, or no number).</summary>
        public IReadOnlyList<double?> BarFractions { get; }

        public RowHighlight Highlight { get; }
    }

    /// <summary>
    /// Everything a report shows, as plain data: what crosses to the engine, which renders it (Markdig, PreMailer)
    /// without knowing PowerShell. All text is as given; the renderer escapes it.
    /// </summary>
    internal sealed class ReportContent
    {
        public string? Title { get; set; }

        /// <summary>CommonMark shown above the table; raw HTML in it is shown as text.</summary>
        public string? Markdown { get; set; }

        public string? PreContent { get; set; }

        public string? PostContent { get; set; }

        public IReadOnlyList<ReportColumn> Columns { get; set; } = new List<ReportColumn>();

        public IReadOnlyList<ReportRow> Rows { get; set; } = new List<ReportRow>();

        /// <summary>Whether -Highlight was given: then each row shows its style's marker (or none) in a first column.</summary>
        public bool Highlighting { get; set; }
    }
}
