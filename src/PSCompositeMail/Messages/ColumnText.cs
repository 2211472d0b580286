using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// Text for a table column of fixed width, for the format views. PowerShell's own table wrapping cuts words at the
    /// column's edge (serve|r, bob@|example.com), so the views hand it lines that already fit: wrapped between words,
    /// a word longer than the whole column broken after a separator (a path after a slash), and, where a view asks
    /// for it, at most a few lines (the last one ending in an ellipsis when text was left out). The objects keep the whole text; Format-List shows
    /// it. Control characters
    /// are escaped first, as every view shows them.
    /// </summary>
    public static class ColumnText
    {
        private const char Ellipsis = '\u2026';

        /// <param name="value">The text; several lines (joined with "\n") stay separate lines.</param>
        /// <param name="width">The column's width.</param>
        /// <param name="maxLines">How many lines the column may take for one row.</param>
        public static string Fit(object? value, int width, int maxLines = int.MaxValue)
        {
            if (width < 2 || maxLines < 1)
            {
                throw new ArgumentOutOfRangeException(width < 2 ? nameof(width) : nameof(maxLines));
            }

            // A tab would push the columns after it apart: it is a space here.
            var text = ControlCharacters.Escape(value?.ToString(), keepLineFeeds: true).Replace('\t', ' ');
            var lines = text.Split('\n').SelectMany(line => Wrap(line.TrimEnd(), width)).ToList();
            if (lines.Count <= maxLines)
            {
                return string.Join("\n", lines);
            }

            var last = lines[maxLines - 1];
            lines[maxLines - 1] = (last.Length < width ? last : last.Substring(0, Whole(last, width - 1))) + Ellipsis;
            return string.Join("\n", lines.Take(maxLines));
        }

        private static IEnumerable<string> Wrap(string line, int width)
        {
            var current = new StringBuilder();
            foreach (var word in line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (current.Length > 0 && current.Length + 1 + word.Length > width)
                {
                    yield return current.ToString();
                    current.Clear();
                }

                var rest = word;
                if (current.Length == 0)
                {
                    // A word longer than the whole column (a path, an id) cannot stay whole: it is broken after a
                    // separator where it has one, so that nothing of it is lost.
                    while (rest.Length > width)
                    {
                        var cut = rest.LastIndexOfAny(Separators, width - 1) + 1;
                        cut = Whole(rest, cut > width / 2 ? cut : width);
                        yield return rest.Substring(0, cut);
                        rest = rest.Substring(cut);
                    }
                }

                current.Append(current.Length > 0 ? " " : string.Empty).Append(rest);
            }

            yield return current.ToString();
        }

        /// <summary>Moves a cut that would split a character made of two UTF-16 units (an emoji) to before it.</summary>
        private static int Whole(string text, int cut) =>
            cut > 1 && cut < text.Length && char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1]) ? cut - 1 : cut;

        private static readonly char[] Separators = { '/', '\\', '-', '_', ',', ';' };
    }
}
