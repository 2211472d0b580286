using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace PSCompositeMail.Reports
{
    /// <summary>
    /// The rows of a ConvertTo-MailHtml call, taken one by one on the pipeline thread: the columns (from -Property,
    /// else the first object's properties, as ConvertTo-Html), each value as PowerShell shows it, and the bars.
    /// </summary>
    internal sealed class ReportTable
    {
        private readonly IReadOnlyList<object>? _requested;
        private readonly CultureInfo _culture;
        private readonly List<Cell[]> _rows = new List<Cell[]>();
        private readonly List<RowHighlight> _highlights = new List<RowHighlight>();
        private IReadOnlyList<ColumnSource>? _columns;

        /// <param name="property">-Property: names (wildcards allowed) and calculated properties (@{ Name = ...; Expression = ... }).</param>
        public ReportTable(IReadOnlyList<object>? property, CultureInfo culture)
        {
            _requested = property is { Count: > 0 } ? property.Select(p => p is PSObject wrapped ? wrapped.BaseObject : p).ToList() : null;
            _culture = culture;
            if (_requested is not null)
            {
                // A malformed calculated property is an error before any row is taken.
                _ = _requested.OfType<IDictionary>().Select(Calculated).ToList();
            }
        }

        public int Count => _rows.Count;

        /// <summary>Takes one row. A calculated property's expression that throws is a RuntimeException for this row.</summary>
        public void Add(PSObject row, RowHighlight highlight)
        {
            _columns ??= ColumnsFor(row);
            _rows.Add(_columns.Select(column =>
            {
                var value = column.Value(row);
                return new Cell(ValueText.Format(value, _culture), ValueText.Number(value, _culture));
            }).ToArray());
            _highlights.Add(highlight);
        }

        /// <summary>What the engine renders. -Bar names a column that is missing or not numeric: a warning names it, and it goes without bars.</summary>
        public ReportContent Build(IReadOnlyCollection<string>? bars, Action<string> warn)
        {
            var names = _columns?.Select(c => c.Name).ToList() ?? RequestedNames();
            var columns = new List<ReportColumn>();
            var fractions = new List<Func<double?, double?>?>();
            for (var i = 0; i < names.Count; i++)
            {
                var numbers = _rows.Select(r => r[i]).Where(cell => cell.Text.Length > 0).Select(cell => cell.Number).ToList();
                var numeric = numbers.Count > 0 && numbers.All(n => n is not null);
                var bar = bars?.Any(b => string.Equals(b, names[i], StringComparison.OrdinalIgnoreCase)) == true;
                if (bar && !numeric && _rows.Count > 0)
                {
                    warn(numbers.Count == 0
                        ? $"-Bar: the column '{names[i]}' has no values, so it has no bars."
                        : $"-Bar: the column '{names[i]}' is not numeric (it holds '{_rows.Select(r => r[i]).First(cell => cell.Text.Length > 0 && cell.Number is null).Text}'), so it has no bars.");
                    bar = false;
                }

                columns.Add(new ReportColumn(names[i], numeric, bar));
                fractions.Add(bar ? Scale(numbers.Select(n => n!.Value).ToList()) : null);
            }

            foreach (var missing in bars?.Where(b => !names.Any(n => string.Equals(n, b, StringComparison.OrdinalIgnoreCase))) ?? Enumerable.Empty<string>())
            {
                warn($"-Bar: the report has no column '{missing}' (its columns: {string.Join(", ", names)}).");
            }

            return new ReportContent
            {
                Columns = columns,
                Rows = _rows.Select((cells, r) => new ReportRow(
                    cells.Select(c => c.Text).ToList(),
                    cells.Select((c, i) => fractions[i]?.Invoke(c.Number)).ToList(),
                    _highlights[r])).ToList(),
            };
        }

        /// <summary>
        /// A bar's length from its value: values that all lie within 0-100 are percentages; other columns are scaled
        /// to their largest value. A negative value has no bar.
        /// </summary>
        private static Func<double?, double?> Scale(IReadOnlyList<double> numbers)
        {
            var percentages = numbers.All(n => n >= 0 && n <= 100);
            var top = percentages ? 100 : numbers.DefaultIfEmpty(0).Max();
            return value => value is not { } v ? null : top <= 0 ? 0 : Math.Max(0, Math.Min(1, v / top));
        }

        /// <summary>The row's description in an error: its number and its first column's value.</summary>
        public string Describe(PSObject row, int number)
        {
            var first = (_columns ?? ColumnsFor(row)).FirstOrDefault();
            if (first is null)
            {
                return $"row {number}";
            }

            string value;
            try
            {
                value = ValueText.Format(first.Value(row), _culture);
            }
            catch (RuntimeException)
            {
                return $"row {number}";
            }

            return $"row {number} ({first.Name} '{value}')";
        }

        private List<string> RequestedNames() =>
            _requested?.Select(p => p is IDictionary calculated ? Calculated(calculated).Name : p.ToString() ?? string.Empty).ToList() ?? new List<string>();

        private IReadOnlyList<ColumnSource> ColumnsFor(PSObject first)
        {
            if (_requested is null)
            {
                return first.Properties.Select(p => Named(p.Name)).ToList();
            }

            var columns = new List<ColumnSource>();
            foreach (var item in _requested)
            {
                if (item is IDictionary calculated)
                {
                    columns.Add(Calculated(calculated));
                    continue;
                }

                var name = item.ToString() ?? string.Empty;
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                    columns.AddRange(first.Properties.Where(p => pattern.IsMatch(p.Name)).Select(p => Named(p.Name)));
                }
                else
                {
                    // A name the first object lacks is still a column, as ConvertTo-Html keeps it: later rows may have it.
                    columns.Add(Named(name));
                }
            }

            return columns.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
        }

        private static ColumnSource Named(string name) => new ColumnSource(name, row =>
        {
            try
            {
                return row.Properties[name]?.Value;
            }
            catch (GetValueException)
            {
                // A property whose getter throws shows empty, as in PowerShell's own tables.
                return null;
            }
        });

        /// <summary>@{ Name (or Label, N, L) = ...; Expression (or E) = { ... } or a property name }, as Select-Object takes it.</summary>
        private static ColumnSource Calculated(IDictionary table)
        {
            object? Key(params string[] names) =>
                table.Keys.Cast<object>().Where(k => names.Any(n => string.Equals(k?.ToString(), n, StringComparison.OrdinalIgnoreCase))).Select(k => table[k]).FirstOrDefault();

            var expression = Key("Expression", "E") is PSObject wrapped ? wrapped.BaseObject : Key("Expression", "E");
            var name = Key("Name", "N", "Label", "L")?.ToString();
            switch (expression)
            {
                case ScriptBlock script:
                    return new ColumnSource(name ?? script.ToString().Trim(), row =>
                    {
                        var output = script.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", row) });
                        return output.Count == 0 ? null : output.Count == 1 ? output[0] : output.Select(o => o?.BaseObject).ToArray();
                    });
                case string property:
                    return new ColumnSource(name ?? property, Named(property).Value);
                default:
                    throw new ArgumentException("-Property: a calculated property needs Expression (a script block or a property name), and may have Name, for example @{ Name = 'Free (GB)'; Expression = { $_.Free / 1GB } }.");
            }
        }

        private sealed class ColumnSource
        {
            public ColumnSource(string name, Func<PSObject, object?> value)
            {
                Name = name;
                Value = value;
            }

            public string Name { get; }

            public Func<PSObject, object?> Value { get; }
        }

        private readonly struct Cell
        {
            public Cell(string text, double? number)
            {
                Text = text;
                Number = number;
            }

            public string Text { get; }

            public double? Number { get; }
        }
    }
}
