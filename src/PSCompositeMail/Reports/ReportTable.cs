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
    /// else the first object's properties or a hashtable's keys, as ConvertTo-Html), each value as PowerShell shows
    /// it, and the bars.
    /// </summary>
    internal sealed class ReportTable
    {
        private readonly IReadOnlyList<object>? _requested;
        private readonly CultureInfo _culture;
        private readonly int _enumerationLimit;
        private readonly List<Cell[]> _rows = new List<Cell[]>();
        private readonly List<RowHighlight> _highlights = new List<RowHighlight>();
        private IReadOnlyList<ColumnSource>? _columns;
        private int _taken;

        /// <param name="property">-Property: names (wildcards allowed), calculated properties (@{ Name = ...; Expression = ... }) and script blocks,
        /// as Select-Object takes them.</param>
        /// <param name="enumerationLimit">$FormatEnumerationLimit: how many items of a collection a cell shows.</param>
        public ReportTable(IReadOnlyList<object>? property, CultureInfo culture, int enumerationLimit)
        {
            _requested = property is { Count: > 0 } ? property.Select(p => p is PSObject wrapped ? wrapped.BaseObject : p).ToList() : null;
            _culture = culture;
            _enumerationLimit = enumerationLimit;
            if (_requested is not null)
            {
                // A malformed calculated property is an error before any row is taken.
                _ = _requested.OfType<IDictionary>().Select(Calculated).ToList();
            }
        }

        public int Count => _rows.Count;

        /// <summary>
        /// Reads one input object's columns. A column whose value cannot be had (a calculated property that throws)
        /// is left empty and named in <see cref="TakenRow.Failures"/>: the row stays, as in Select-Object and ConvertTo-Html.
        /// </summary>
        public TakenRow Take(PSObject input)
        {
            _columns ??= ColumnsFor(input);
            var number = ++_taken;
            var values = new object?[_columns.Count];
            var failures = new List<(string, RuntimeException)>();
            for (var i = 0; i < _columns.Count; i++)
            {
                try
                {
                    values[i] = _columns[i].Value(input);
                }
                catch (RuntimeException ex) when (ex is not PipelineStoppedException)
                {
                    failures.Add((_columns[i].Name, ex));
                }
            }

            var described = _columns.Count > 0 && values[0] is not null
                ? $"row {number} ({_columns[0].Name} '{ValueText.Format(values[0], _culture, _enumerationLimit)}')"
                : $"row {number}";
            return new TakenRow(input, _columns, values, failures, described);
        }

        /// <summary>Adds a row read by <see cref="Take"/> with its style.</summary>
        public void Add(TakenRow row, RowHighlight highlight)
        {
            _rows.Add(row.Values.Select(value => new Cell(
                ValueText.Format(value, _culture, _enumerationLimit), ValueText.Number(value, _culture), ValueText.IsNumberWithoutSize(value)))
                    .ToArray());
            _highlights.Add(highlight);
        }

        /// <summary>What the engine renders. -Bar names a column that is missing or not numeric: a warning names it, and it goes without
        /// bars.</summary>
        public ReportContent Build(IReadOnlyCollection<string>? bars, Action<string> warn)
        {
            var names = _columns?.Select(c => c.Name).ToList() ?? RequestedNames();
            var columns = new List<ReportColumn>();
            var fractions = new List<Func<double?, double?>?>();
            for (var i = 0; i < names.Count; i++)
            {
                // NaN and infinities count as numbers for the column, but have no size: those cells go without a bar.
                var shown = _rows.Select(r => r[i]).Where(cell => cell.Text.Length > 0 && !cell.NumberWithoutSize).ToList();
                var numeric = shown.Count > 0 && shown.All(cell => cell.Number is not null);
                var bar = bars?.Any(b => string.Equals(b, names[i], StringComparison.OrdinalIgnoreCase)) == true;
                if (bar && !numeric && _rows.Count > 0)
                {
                    warn(shown.Count == 0
                        ? $"-Bar: the column '{names[i]}' has no values, so it has no bars."
                        : $"-Bar: the column '{names[i]}' is not numeric (it holds '{shown.First(cell => cell.Number is null).Text}'), so it has " +
                            "no bars.");
                    bar = false;
                }

                columns.Add(new ReportColumn(names[i], numeric, bar));
                fractions.Add(bar ? Scale(shown.Select(cell => cell.Number!.Value).ToList()) : null);
            }

            foreach (var missing in bars?.Where(b => !names.Any(n => string.Equals(n, b, StringComparison.OrdinalIgnoreCase)))
                ?? Enumerable.Empty<string>())
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

        private List<string> RequestedNames() => _requested?.Select(p => p switch
        {
            IDictionary calculated => Calculated(calculated).Name,
            ScriptBlock script => script.ToString(),
            _ => p.ToString() ?? string.Empty,
        }).ToList() ?? new List<string>();

        private IReadOnlyList<ColumnSource> ColumnsFor(PSObject first)
        {
            var available = first.BaseObject is IDictionary entries
                ? entries.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty).ToList()
                : first.Properties.Select(p => p.Name).ToList();
            if (_requested is null)
            {
                return available.Select(Named).ToList();
            }

            var columns = new List<ColumnSource>();
            foreach (var item in _requested)
            {
                switch (item)
                {
                    case IDictionary calculated:
                        columns.Add(Calculated(calculated));
                        continue;
                    case ScriptBlock script:
                        // As Select-Object: a script block is a column named by its text.
                        columns.Add(Computed(script.ToString(), script));
                        continue;
                }

                var name = item.ToString() ?? string.Empty;
                var literal = available.FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase));
                if (literal is null && WildcardPattern.ContainsWildcardCharacters(name))
                {
                    var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                    columns.AddRange(available.Where(pattern.IsMatch).Select(Named));
                }
                else
                {
                    // A name the first object lacks is still a column, as ConvertTo-Html keeps it: later rows may have
                    // it. A name that exists as written ('Used [%]') is that property, not a pattern.
                    columns.Add(Named(literal ?? name));
                }
            }

            return columns.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
        }

        private static ColumnSource Named(string name) => new ColumnSource(name, row =>
        {
            if (row.BaseObject is IDictionary entries)
            {
                return entries.Contains(name) ? entries[name] : null;
            }

            try
            {
                return row.Properties[name]?.Value;
            }
            catch (GetValueException)
            {
                // A property whose getter throws shows empty, as in PowerShell's own tables.
                return null;
            }
        }, calculated: false);

        private static ColumnSource Computed(string name, ScriptBlock script) => new ColumnSource(name, row =>
        {
            var output = ReportScript.Invoke(script, row);
            return output.Count == 0 ? null : output.Count == 1 ? output[0] : output.Select(o => o?.BaseObject).ToArray();
        }, calculated: true);

        /// <summary>@{ Name (or Label, N, L) = ...; Expression (or E) = { ... } or a property name }, as Select-Object takes it.</summary>
        private static ColumnSource Calculated(IDictionary table)
        {
            object? Key(params string[] names) =>
                table.Keys.Cast<object>().Where(k => names.Any(n => string.Equals(k?.ToString(), n, StringComparison.OrdinalIgnoreCase)))
                    .Select(k => table[k]).FirstOrDefault();

            var expression = Key("Expression", "E") is PSObject wrapped ? wrapped.BaseObject : Key("Expression", "E");
            var name = Key("Name", "N", "Label", "L")?.ToString();
            switch (expression)
            {
                case ScriptBlock script:
                    return Computed(name ?? script.ToString(), script);
                case string property:
                    return new ColumnSource(name ?? property, Named(property).Value,
                        calculated: name is not null && !string.Equals(name, property, StringComparison.OrdinalIgnoreCase));
                default:
                    throw new ArgumentException(
                        "-Property: a calculated property needs Expression (a script block or a property name), and may have Name, for example @{ " +
                        "Name = 'Free (GB)'; Expression = { $_.Free / 1GB } }.");
            }
        }

        internal sealed class ColumnSource
        {
            public ColumnSource(string name, Func<PSObject, object?> value, bool calculated)
            {
                Name = name;
                Value = value;
                Calculated = calculated;
            }

            public string Name { get; }

            public Func<PSObject, object?> Value { get; }

            /// <summary>Not simply the input's property of that name: -Highlight then needs the row as shown.</summary>
            public bool Calculated { get; }
        }

        private readonly struct Cell
        {
            public Cell(string text, double? number, bool numberWithoutSize)
            {
                Text = text;
                Number = number;
                NumberWithoutSize = numberWithoutSize;
            }

            public string Text { get; }

            public double? Number { get; }

            public bool NumberWithoutSize { get; }
        }
    }

    /// <summary>One input object's columns, read by <see cref="ReportTable.Take"/>.</summary>
    internal sealed class TakenRow
    {
        private readonly PSObject _input;
        private readonly IReadOnlyList<ReportTable.ColumnSource> _columns;
        private PSObject? _shown;

        public TakenRow(PSObject input, IReadOnlyList<ReportTable.ColumnSource> columns, object?[] values,
            IReadOnlyList<(string Column, RuntimeException Error)> failures, string description)
        {
            _input = input;
            _columns = columns;
            Values = values;
            Failures = failures;
            Description = description;
        }

        public IReadOnlyList<object?> Values { get; }

        /// <summary>The columns that could not be read (left empty), with why.</summary>
        public IReadOnlyList<(string Column, RuntimeException Error)> Failures { get; }

        /// <summary>"row 3 (Name 'spooler')": how errors name the row.</summary>
        public string Description { get; }

        /// <summary>
        /// The row as the report shows it, what -Highlight sees as $_: the columns with their values (calculated ones
        /// included), then the input's other properties. Without calculated columns that is the input object itself.
        /// </summary>
        public PSObject Shown => _shown ??= MakeShown();

        private PSObject MakeShown()
        {
            if (!_columns.Any(c => c.Calculated))
            {
                return _input;
            }

            var shown = new PSObject();
            for (var i = 0; i < _columns.Count; i++)
            {
                shown.Properties.Add(new PSNoteProperty(_columns[i].Name, Values[i]));
            }

            if (_input.BaseObject is IDictionary entries)
            {
                foreach (DictionaryEntry entry in entries)
                {
                    var key = entry.Key?.ToString() ?? string.Empty;
                    if (shown.Properties[key] is null)
                    {
                        shown.Properties.Add(new PSNoteProperty(key, entry.Value));
                    }
                }

                return shown;
            }

            foreach (var property in _input.Properties.Where(p => shown.Properties[p.Name] is null).ToList())
            {
                object? value;
                try
                {
                    value = property.Value;
                }
                catch (GetValueException)
                {
                    value = null;
                }

                shown.Properties.Add(new PSNoteProperty(property.Name, value));
            }

            return shown;
        }
    }
}
