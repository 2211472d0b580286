namespace PSCompositeMail.Engine.Reports
{
    /// <summary>
    /// The report's one stylesheet, written as CSS and moved into style attributes by PreMailer (mail readers drop
    /// or rewrite style elements). The highlight colours pair a tinted background with a dark text colour of the
    /// same hue, so they keep their contrast where a dark-mode reader darkens backgrounds, and each style also
    /// shows its name in bold in the first column: the colour is never the only sign. The rules for the table's
    /// elements (from .report on) select by one class each: the table is written with the styles PreMailer gives one
    /// element of each kind (<see cref="ElementStyles"/>), which holds only while an element's style depends on its
    /// own tag and classes alone.
    /// </summary>
    internal static class ReportStyle
    {
        public const string Css = @"
.body { margin: 0; padding: 0; background-color: #ffffff; }
.outer { width: 100%; border-collapse: collapse; }
.outer-cell { padding: 0; }
.page { width: 100%; max-width: 600px; table-layout: fixed; border-collapse: collapse;
    font-family: 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; line-height: 20px; color: #202124; }
.title { padding: 16px 12px 8px 12px; font-size: 22px; line-height: 28px; font-weight: bold; color: #202124; overflow-wrap: anywhere;
    word-break: break-word; }
.section { padding: 4px 12px 8px 12px; overflow-wrap: anywhere; word-break: break-word; }
.section p { margin: 0 0 10px 0; }
.section h1 { margin: 8px 0 8px 0; font-size: 20px; line-height: 26px; }
.section h2 { margin: 8px 0 6px 0; font-size: 17px; line-height: 24px; }
.section h3, .section h4, .section h5, .section h6 { margin: 6px 0 4px 0; font-size: 15px; line-height: 22px; }
.section ul, .section ol { margin: 0 0 10px 0; padding: 0 0 0 22px; }
.section blockquote { margin: 0 0 10px 0; padding: 0 0 0 10px; border-left: 3px solid #dadce0; color: #5f6368; }
.section code { font-family: Consolas, Menlo, monospace; font-size: 13px; background-color: #f1f3f4; }
.section pre { margin: 0 0 10px 0; padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere; background-color: #f1f3f4;
    font-family: Consolas, Menlo, monospace; font-size: 13px; }
.section a { color: #1a0dab; text-decoration: underline; }
.table-holder { padding: 4px 12px 12px 12px; }
.report { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 13px; line-height: 18px; }
.head { padding: 6px 6px; text-align: left; font-weight: bold; color: #202124; background-color: #e8eaed; border-bottom: 2px solid #9aa0a6;
    overflow-wrap: anywhere; word-break: break-word; }
.cell { padding: 5px 6px; vertical-align: top; text-align: left; color: #202124; background-color: #ffffff;
    border-bottom: 1px solid #dadce0; overflow-wrap: anywhere; word-break: break-word; }
.num { text-align: right; }
.marker { font-weight: bold; font-size: 11px; }
.critical { background-color: #fad2cf; color: #8c1d18; font-weight: bold; }
.warning { background-color: #feefc3; color: #7a4f01; }
.good { background-color: #ceead6; color: #0d652d; }
.bar { width: 100%; border-collapse: collapse; }
.bar-value { padding: 0 6px 0 0; text-align: right; vertical-align: middle; font-size: 13px; }
.bar-track { width: 100%; border-collapse: collapse; }
.bar-fill { height: 10px; font-size: 1px; line-height: 1px; background-color: #1a73e8; }
.bar-rest { height: 10px; font-size: 1px; line-height: 1px; background-color: #e8eaed; }
";

        public const string FillColour = "#1a73e8";

        public const string RestColour = "#e8eaed";
    }
}
