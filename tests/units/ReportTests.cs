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
            Assert.Equal(string.Empty, ValueText.Format(null, German));
            Assert.Equal("True", ValueText.Format(true, German));
            Assert.Equal("3,5", ValueText.Format(3.5, German));
            Assert.Equal(when.ToString(German), ValueText.Format(when, German));
            Assert.Equal("{1, two}", ValueText.Format(new object[] { 1, "two" }, German));
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
