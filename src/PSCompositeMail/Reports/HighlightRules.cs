using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace PSCompositeMail.Reports
{
    /// <summary>ConvertTo-MailHtml -Highlight: a script block per style, asked about each row with $_; the first that holds wins.</summary>
    internal sealed class HighlightRules
    {
        /// <summary>The styles in the order they are tried.</summary>
        private static readonly RowHighlight[] Order = { RowHighlight.Critical, RowHighlight.Warning, RowHighlight.Good };

        private readonly IReadOnlyList<(RowHighlight Style, ScriptBlock Test)> _rules;

        private HighlightRules(IReadOnlyList<(RowHighlight, ScriptBlock)> rules)
        {
            _rules = rules;
        }

        public static HighlightRules None { get; } = new HighlightRules(Array.Empty<(RowHighlight, ScriptBlock)>());

        public bool Any => _rules.Count > 0;

        /// <summary>Reads the hashtable; an unknown key or a value that is not a script block is an ArgumentException naming it.</summary>
        public static HighlightRules Parse(IDictionary? table)
        {
            if (table is null || table.Count == 0)
            {
                return None;
            }

            var given = new Dictionary<RowHighlight, ScriptBlock>();
            foreach (DictionaryEntry entry in table)
            {
                var key = entry.Key?.ToString() ?? string.Empty;
                var style = Order.Where(s => string.Equals(s.ToString(), key, StringComparison.OrdinalIgnoreCase)).DefaultIfEmpty(RowHighlight.None)
                    .First();
                if (style == RowHighlight.None)
                {
                    throw new ArgumentException($"-Highlight has the key '{key}', which is not a style. Use Critical, Warning or Good.");
                }

                var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
                if (value is not ScriptBlock test)
                {
                    var shown = value is null ? "$null" : $"a {value.GetType().Name}";
                    throw new ArgumentException(
                        $"-Highlight's {style} is {shown}, not a script block. Give a test of each row as $_, for example {style} = {{ $_.Status " +
                            "-ne 'Running' }}.");
                }

                given[style] = test;
            }

            return new HighlightRules(Order.Where(given.ContainsKey).Select(s => (s, given[s])).ToList());
        }

        /// <summary>The style of the row as shown (see <see cref="TakenRow.Shown"/>). Runs the script blocks on the calling thread (the pipeline
        /// thread); one that throws is a <see cref="HighlightFailedException"/>.</summary>
        public RowHighlight Evaluate(PSObject row)
        {
            foreach (var (style, test) in _rules)
            {
                try
                {
                    if (LanguagePrimitives.IsTrue(ReportScript.Invoke(test, row)))
                    {
                        return style;
                    }
                }
                catch (Exception ex) when (ex is RuntimeException && ex is not PipelineStoppedException)
                {
                    throw new HighlightFailedException(style, ex);
                }
            }

            return RowHighlight.None;
        }
    }

    /// <summary>A -Highlight script block threw for a row.</summary>
    internal sealed class HighlightFailedException : Exception
    {
        public HighlightFailedException(RowHighlight style, Exception inner)
            : base(inner.Message, inner)
        {
            Style = style;
        }

        public RowHighlight Style { get; }
    }
}
