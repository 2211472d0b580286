using System;
using System.IO;
using System.Linq;
using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace PSCompositeMail.Engine.Reports
{
    /// <summary>
    /// -Markdown as HTML and as text, with Markdig under CommonMark. Raw HTML in it is shown as text, never passed
    /// through; images become their alt text (a mail must load nothing from outside), and only http, https and mailto
    /// links stay links.
    /// </summary>
    internal static class MarkdownSection
    {
        private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().Build();

        private static readonly string[] LinkSchemes = { "http:", "https:", "mailto:" };

        public static string ToHtml(string markdown)
        {
            var document = Markdown.Parse(markdown, Pipeline);
            foreach (var link in document.Descendants<LinkInline>().ToList())
            {
                if (link.IsImage || !Linkable(link.Url))
                {
                    // The link's text (an image's alt text) stays, without the link.
                    link.ReplaceBy(new ContainerInline());
                }
            }

            foreach (var autolink in document.Descendants<AutolinkInline>().ToList())
            {
                if (!autolink.IsEmail && !Linkable(autolink.Url))
                {
                    autolink.ReplaceBy(new LiteralInline(autolink.Url));
                }
            }

            using var writer = new StringWriter();
            var renderer = new HtmlRenderer(writer);
            Pipeline.Setup(renderer);
            renderer.Render(document);
            writer.Flush();
            return writer.ToString();
        }

        public static string ToText(string markdown) => MarkdownText.Render(Markdown.Parse(markdown, Pipeline));

        internal static bool Linkable(string? url) =>
            url is not null && LinkSchemes.Any(scheme => url.TrimStart().StartsWith(scheme, StringComparison.OrdinalIgnoreCase));
    }
}
