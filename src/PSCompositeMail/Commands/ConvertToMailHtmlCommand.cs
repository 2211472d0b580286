using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using PSCompositeMail.Hosting;
using PSCompositeMail.Reports;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Turns the objects piped in into one report (a table, with a title, Markdown and text around it) as a
    /// <see cref="MailBody"/>: HTML whose every style is inline, and the same as plain text. Rows are taken and their
    /// -Highlight tests run on the pipeline thread as they come; the engine renders at the end.
    /// </summary>
    [Cmdlet(VerbsData.ConvertTo, "MailHtml")]
    [OutputType(typeof(MailBody))]
    public sealed class ConvertToMailHtmlCommand : PSCmdlet
    {
        private ReportTable? _table;
        private HighlightRules _highlight = HighlightRules.None;
        
        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>The columns, in order, as Select-Object takes them: property names (wildcards allowed), calculated properties or script
        /// blocks.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public object[]? Property { get; set; }

        [Parameter]
        public string? Title { get; set; }

        /// <summary>CommonMark shown above the table.</summary>
        [Parameter]
        public string? Markdown { get; set; }

        /// <summary>Text above the table (below the Markdown), shown as text.</summary>
        [Parameter]
        public string[]? PreContent { get; set; }

        /// <summary>Text below the table, shown as text.</summary>
        [Parameter]
        public string[]? PostContent { get; set; }

        /// <summary>@{ Critical = { ... }; Warning = { ... }; Good = { ... } }: tests of each row as $_.</summary>
        [Parameter]
        public Hashtable? Highlight { get; set; }

        /// <summary>Numeric columns drawn with a bar beside each value.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Bar { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                _highlight = HighlightRules.Parse(Highlight);
                _table = new ReportTable(Property, CultureInfo.CurrentCulture, EnumerationLimit());
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, "InvalidReportParameter", ErrorCategory.InvalidArgument, null)));
            }
        }

        protected override void ProcessRecord()
        {
            if (InputObject is null)
            {
                return;
            }

            var row = _table!.Take(InputObject);
            foreach (var (column, error) in row.Failures)
            {
                // The row still goes in, that cell empty (as Select-Object keeps it): the error names both.
                WriteError(StreamWriting.Escaped(new ErrorRecord(
                    new RuntimeException($"-Property '{column}' failed for {row.Description}, whose cell is left empty: {error.Message}", error),
                    "PropertyFailed",
                    ErrorCategory.InvalidOperation,
                    InputObject)));
            }

            var highlight = RowHighlight.None;
            try
            {
                highlight = _highlight.Evaluate(row.Shown);
            }
            catch (HighlightFailedException ex)
            {
                // The row still goes in, without a style: the error names it, and -ErrorAction Stop ends the report.
                WriteError(StreamWriting.Escaped(new ErrorRecord(
                    new RuntimeException($"-Highlight {ex.Style} failed for {row.Description}: {ex.Message}", ex.InnerException),
                    "HighlightFailed",
                    ErrorCategory.InvalidOperation,
                    InputObject)));
            }

            _table.Add(row, highlight);
        }

        protected override void EndProcessing()
        {
            var content = _table!.Build(Bar, warning => WriteWarning(StreamWriting.Escaped(warning)));
            content.Title = ValueText.Escaped(Title);
            content.Markdown = ValueText.Escaped(Markdown);
            content.PreContent = ValueText.Escaped(PreContent is null ? null : string.Join("\n", PreContent));
            content.PostContent = ValueText.Escaped(PostContent is null ? null : string.Join("\n", PostContent));
            content.Highlighting = _highlight.Any;
            var body = MailEngine.Instance.RenderReport(content);
            foreach (var warning in new[] { body.LayoutWarning, body.SizeWarning() })
            {
                if (warning is not null)
                {
                    WriteWarning(StreamWriting.Escaped(warning));
                }
            }

            WriteObject(body);
        }

        /// <summary>$FormatEnumerationLimit, as PowerShell's own tables use it (4 where it is not set).</summary>
        private int EnumerationLimit() =>
            LanguagePrimitives.TryConvertTo<int>(SessionState.PSVariable.GetValue("FormatEnumerationLimit", 4), CultureInfo.InvariantCulture,
                out var limit) ? limit : 4;
    }
}
