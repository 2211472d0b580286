using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using AngleSharp.Html.Parser;

namespace PSCompositeMail.Engine.Reports
{
    /// <summary>
    /// What PreMailer writes into each kind of table element (a tag with its classes): its style attribute and the
    /// attributes it derives from the CSS (width, height). A report's table repeats a few kinds of element thousands
    /// of times, and inlining the whole table took seconds for 1,000 rows; so PreMailer inlines one element of each
    /// kind, and the table is written with its answers. That is exact as long as the table's rules select by one
    /// class each, so that an element's style depends on nothing but its tag and classes (<see cref="ReportStyle"/>).
    /// </summary>
    internal sealed class ElementStyles
    {
        private readonly Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> _attributes;

        private ElementStyles(Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> attributes)
        {
            _attributes = attributes;
        }

        /// <summary>Inlines the CSS into one element of each kind (tag, space-separated classes).</summary>
        public static ElementStyles Inline(IEnumerable<(string Tag, string Classes)> kinds, string css)
        {
            var list = kinds.Distinct().ToList();
            var probe = new StringBuilder("<!DOCTYPE html><html><head></head><body><table><tr>");
            for (var i = 0; i < list.Count; i++)
            {
                var (tag, classes) = list[i];
                probe.Append(tag == "table" ? "<td><table" : "<" + tag)
                    .Append(" class=\"").Append(classes).Append("\" data-kind=\"").Append(i).Append("\">")
                    .Append(tag == "table" ? "</table></td>" : "</" + tag + ">");
            }

            probe.Append("</tr></table></body></html>");
            var inlined = PreMailer.Net.PreMailer.MoveCssInline(probe.ToString(), removeStyleElements: true, ignoreElements: null, css: css,
                stripIdAndClassAttributes: true, removeComments: true).Html;
            var document = new HtmlParser().ParseDocument(inlined);
            var attributes = new Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>>(StringComparer.Ordinal);
            foreach (var element in document.QuerySelectorAll("[data-kind]"))
            {
                var (tag, classes) = list[int.Parse(element.GetAttribute("data-kind")!, System.Globalization.CultureInfo.InvariantCulture)];
                attributes[Key(tag, classes)] = element.Attributes
                    .Where(a => a.Name != "data-kind" && a.Name != "class")
                    .Select(a => new KeyValuePair<string, string>(a.Name, a.Value))
                    .ToList();
            }

            return new ElementStyles(attributes);
        }

        /// <summary>
        /// Writes the start tag: the element's own attributes, then what PreMailer gave its kind (which wins where
        /// both name an attribute, as it does when PreMailer inlines a whole document).
        /// </summary>
        /// <summary>What PreMailer wrote into the element of that kind: style, and width or height from the CSS.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> For(string tag, string classes) =>
            _attributes.TryGetValue(Key(tag, classes), out var inlined) ? inlined : Array.Empty<KeyValuePair<string, string>>();

        public StringBuilder Open(StringBuilder html, string tag, string classes, params (string Name, string Value)[] own)
        {
            var given = For(tag, classes);
            html.Append('<').Append(tag);
            foreach (var (name, value) in own)
            {
                if (!given.Any(a => a.Key == name))
                {
                    html.Append(' ').Append(name).Append("=\"").Append(value).Append('"');
                }
            }

            foreach (var attribute in given)
            {
                html.Append(' ').Append(attribute.Key).Append("=\"").Append(ReportRenderer.Encode(attribute.Value)).Append('"');
            }

            return html.Append('>');
        }

        private static string Key(string tag, string classes) => tag + " " + classes;
    }
}
