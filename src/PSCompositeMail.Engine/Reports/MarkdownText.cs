using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace PSCompositeMail.Engine.Reports
{
    /// <summary>
    /// A parsed -Markdown as the plain text a reader of the text part needs: blank lines between blocks, list items
    /// with their bullets ("- a") and numbers ("1. first"), quotes with "> ", code as written, and each link's
    /// target after its text ("runbook (https://...)"), since the text part cannot link.
    /// </summary>
    internal static class MarkdownText
    {
        public static string Render(MarkdownDocument document) => string.Join("\n", Blocks(document)).TrimEnd();

        /// <summary>The lines of a container's blocks, a blank line between blocks.</summary>
        private static List<string> Blocks(ContainerBlock container)
        {
            var lines = new List<string>();
            foreach (var block in container)
            {
                var blockLines = Block(block);
                if (blockLines.Count == 0)
                {
                    continue;
                }

                if (lines.Count > 0)
                {
                    lines.Add(string.Empty);
                }

                lines.AddRange(blockLines);
            }

            return lines;
        }

        private static List<string> Block(Block block)
        {
            switch (block)
            {
                case ListBlock list:
                    return ListItems(list);
                case QuoteBlock quote:
                    return Blocks(quote).Select(line => line.Length == 0 ? ">" : "> " + line).ToList();
                case ThematicBreakBlock:
                    return new List<string> { "---" };
                case CodeBlock code:
                    return code.Lines.ToString().Replace("\r\n", "\n").Split('\n').ToList();
                case LeafBlock leaf when leaf.Inline is not null:
                    return Inlines(leaf.Inline).Split('\n').ToList();
                case ContainerBlock container:
                    return Blocks(container);
                default:
                    return new List<string>();
            }
        }

        /// <summary>Each item after its bullet or number; its further lines indented under its first.</summary>
        private static List<string> ListItems(ListBlock list)
        {
            var lines = new List<string>();
            var number = list.IsOrdered && int.TryParse(list.OrderedStart, NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start
                : 1;
            foreach (var item in list.OfType<ListItemBlock>())
            {
                var marker = list.IsOrdered ? $"{number++}{list.OrderedDelimiter} " : "- ";
                var itemLines = Blocks(item);
                if (!list.IsLoose)
                {
                    itemLines = itemLines.Where(line => line.Length > 0).ToList();
                }

                if (lines.Count > 0 && list.IsLoose)
                {
                    lines.Add(string.Empty);
                }

                var indent = new string(' ', marker.Length);
                lines.AddRange(itemLines.Select((line, i) => i == 0 ? marker + line : line.Length == 0 ? line : indent + line));
                if (itemLines.Count == 0)
                {
                    lines.Add(marker.TrimEnd());
                }
            }

            return lines;
        }

        private static string Inlines(ContainerInline container)
        {
            var text = new StringBuilder();
            foreach (var inline in container)
            {
                switch (inline)
                {
                    case LiteralInline literal:
                        text.Append(literal.Content.ToString());
                        break;
                    case CodeInline code:
                        text.Append(code.Content);
                        break;
                    case HtmlEntityInline entity:
                        text.Append(entity.Transcoded.ToString());
                        break;
                    case LineBreakInline:
                        text.Append('\n');
                        break;
                    case AutolinkInline autolink:
                        text.Append(autolink.Url);
                        break;
                    case LinkInline link:
                        var label = Inlines(link);
                        text.Append(label);
                        if (!link.IsImage && MarkdownSection.Linkable(link.Url) && !string.Equals(label, link.Url, StringComparison.Ordinal))
                        {
                            text.Append(" (").Append(link.Url).Append(')');
                        }

                        break;
                    case ContainerInline nested:
                        text.Append(Inlines(nested));
                        break;
                    case LeafInline leaf:
                        text.Append(leaf.ToString());
                        break;
                }
            }

            return text.ToString();
        }
    }
}
