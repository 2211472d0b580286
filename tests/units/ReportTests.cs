using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using AngleSharp.Html.Parser;
using PSCompositeMail.Engine.Reports;
using PSCompositeMail.Reports;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// Issue 23: reports. Value formatting, -Highlight's checks, escaping and the inlined styles of the table. (Rows and
    /// bars read PSObjects, which need PowerShell itself: tests/ConvertTo-MailHtml.Tests.ps1 covers them.)
    /// </summary>
    public class ReportTests
    {
        private static readonly CultureInfo German = new CultureInfo("de-DE");

        [Fact]
        public void Values_read_as_PowerShell_shows_them_in_the_given_culture()
        {
            var when = new DateTime(2026, 12, 7, 9, 30, 0);
            Assert.Equal(string.Empty, ValueText.Format(null, German, 4));
            Assert.Equal("True", ValueText.Format(true, German, 4));
            Assert.Equal("3,5", ValueText.Format(3.5, German, 4));
            Assert.Equal("0,3", ValueText.Format(0.1 + 0.2, German, 4));
            Assert.Equal(when.ToString(German), ValueText.Format(when, German, 4));
            Assert.Equal("{1, two}", ValueText.Format(new object[] { 1, "two" }, German, 4));
            Assert.Equal("{[k, 1]}", ValueText.Format(new Hashtable { ["k"] = 1 }, German, 4));
        }

        [Theory]
        [InlineData(4, "{1, 2, 3, 4…}")]
        [InlineData(0, "{…}")]
        [InlineData(-1, "{1, 2, 3, 4, 5, 6}")]
        public void Collections_show_at_most_the_enumeration_limit(int limit, string expected) =>
            Assert.Equal(expected, ValueText.Format(Enumerable.Range(1, 6).ToArray(), German, limit));

        [Fact]
        public void Control_characters_and_bidi_overrides_are_shown_as_escapes_and_line_breaks_kept()
        {
            Assert.Equal("a\\x1B]0;t\\x07\\u202Eb\nc", ValueText.Format("a\u001B]0;t\u0007\u202Eb\r\nc", German, 4));
        }

        [Fact]
        public void BigIntegers_are_numbers_and_NaN_has_no_size()
        {
            Assert.Equal(50.0, ValueText.Number(new System.Numerics.BigInteger(50), German));
            Assert.Null(ValueText.Number(double.NaN, German));
            Assert.True(ValueText.IsNumberWithoutSize(double.PositiveInfinity));
            Assert.False(ValueText.IsNumberWithoutSize(1.0));
        }

        [Fact]
        public void The_Markdown_as_text_keeps_link_targets_list_markers_and_paragraphs()
        {
            var text = MarkdownSection.ToText("See the [runbook](https://wiki.example.com/r) and [bad](javascript:x).\n\nNext.\n\n3. third\n4. fourth\n\n* a\n  * nested");
            Assert.Equal("See the runbook (https://wiki.example.com/r) and bad.\n\nNext.\n\n3. third\n4. fourth\n\n- a\n  - nested", text);
        }

        [Fact]
        public void Columns_keep_their_minimum_widths_and_too_many_are_a_warning()
        {
            ReportContent Wide(int columns, bool highlighting) => new ReportContent
            {
                Highlighting = highlighting,
                Columns = Enumerable.Range(1, columns).Select(i => new ReportColumn("C" + i, numeric: true, bar: false)).ToList(),
                Rows = new[] { new ReportRow(Enumerable.Range(1, columns).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(), new double?[columns], RowHighlight.Critical) },
            };

            var (fits, none) = ReportRenderer.ColumnWidths(Wide(14, highlighting: true));
            Assert.Null(none);
            Assert.True(double.Parse(fits[0].TrimEnd('%'), CultureInfo.InvariantCulture) >= 13.8);
            Assert.Equal(100, fits.Sum(w => double.Parse(w.TrimEnd('%'), CultureInfo.InvariantCulture)), 3);

            var (squeezed, warning) = ReportRenderer.ColumnWidths(Wide(200, highlighting: false));
            Assert.All(squeezed, w => Assert.True(double.Parse(w.TrimEnd('%'), CultureInfo.InvariantCulture) > 0));
            Assert.Contains("200 columns", warning);
        }

        [Theory]
        [InlineData(42, 42.0)]
        [InlineData("12,5", 12.5)]
        [InlineData("12.5", 12.5)]
        [InlineData("n/a", null)]
        [InlineData(true, null)]
        public void Numbers_are_numeric_types_or_text_that_reads_as_one(object value, double? expected) =>
            Assert.Equal(expected, ValueText.Number(value, German));

        [Theory]
        [InlineData("Critcal", "text", "'Critcal', which is not a style")]
        [InlineData("Warning", "text", "Warning is a String, not a script block")]
        public void Highlight_refuses_unknown_keys_and_values_that_are_not_script_blocks(string key, string value, string message)
        {
            var ex = Assert.Throws<ArgumentException>(() => HighlightRules.Parse(new Hashtable { [key] = value }));
            Assert.Contains(message, ex.Message);
        }

        [Fact]
        public void Text_is_escaped_where_it_could_open_markup_and_left_as_it_is_otherwise()
        {
            Assert.Equal("&lt;script&gt; &amp; &quot;x&quot; &#39;y&#39; Grüße ✓", ReportRenderer.Encode("<script> & \"x\" 'y' Grüße ✓"));
        }

        /// <summary>
        /// The table is written with the styles PreMailer gives one element of each kind; this holds only while no rule
        /// depends on where an element stands. Here PreMailer inlines every kind in its real place (inside the page,
        /// the report table, a highlighted row and a bar), and each must get exactly what the table is written with.
        /// </summary>
        [Fact]
        public void Each_kind_of_table_element_gets_what_PreMailer_gives_it_in_its_real_place()
        {
            var kinds = ReportRenderer.TableElementKinds().ToList();
            var cells = string.Concat(kinds.Select((kind, i) => kind.Tag == "table"
                ? $"<td class=\"cell critical\"><table class=\"{kind.Classes}\" data-kind=\"{i}\"><tr><td class=\"bar-value\">1</td></tr></table></td>"
                : $"<{kind.Tag} class=\"{kind.Classes}\" data-kind=\"{i}\">x</{kind.Tag}>"));
            var page = "<!DOCTYPE html><html><head></head><body class=\"body\"><table class=\"outer\"><tr><td class=\"outer-cell\"><table class=\"page\">" +
                "<tr><td class=\"table-holder\"><table class=\"report\"><tr class=\"critical\">" + cells + "</tr></table></td></tr></table></td></tr></table></body></html>";
            var whole = PreMailer.Net.PreMailer.MoveCssInline(page, removeStyleElements: true, ignoreElements: null, css: ReportStyle.Css, stripIdAndClassAttributes: true, removeComments: true).Html;
            var document = new HtmlParser().ParseDocument(whole);

            var styles = ReportRenderer.TableStyles.Value;
            foreach (var element in document.QuerySelectorAll("[data-kind]"))
            {
                var (tag, classes) = kinds[int.Parse(element.GetAttribute("data-kind")!, CultureInfo.InvariantCulture)];
                var inPlace = element.Attributes.Where(a => a.Name != "data-kind").Select(a => $"{a.Name}={a.Value}");
                var written = styles.For(tag, classes).Select(a => $"{a.Key}={a.Value}");
                Assert.Equal(string.Join("; ", inPlace), string.Join("; ", written));
            }
        }

        [Fact]
        public void The_mail_body_carrier_finds_only_the_string_it_made()
        {
            var body = new MailBody("t", "<html></html>", "text\n", 0, new ReportHighlightCounts(0, 0, 0));
            var carried = MailBodyCarrier.Carry(body);

            Assert.Equal("text\n", carried);
            Assert.Same(body, MailBodyCarrier.Find(carried));
            Assert.Null(MailBodyCarrier.Find("text\n"));
            Assert.Null(MailBodyCarrier.Find(body.Text));
        }
    }
}
