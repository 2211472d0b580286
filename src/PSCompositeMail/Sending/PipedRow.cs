using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Sending
{
    /// <summary>A parameter a pipeline row sets through a property of its name or of one of its aliases.</summary>
    internal sealed class RowParameter
    {
        public RowParameter(string name, Type type, IEnumerable<string> aliases)
        {
            Name = name;
            Type = type;
            Names = new[] { name }.Concat(aliases).ToArray();
        }

        public string Name { get; }

        public Type Type { get; }

        /// <summary>The parameter's name, then its aliases: the property names that bind to it.</summary>
        public IReadOnlyList<string> Names { get; }

        /// <summary>
        /// Whether the value is one this parameter takes as meant. Mostly what PowerShell binds; stricter for text,
        /// where PowerShell drops an array (Body = Get-Content's lines) and turns a hashtable into its type name.
        /// </summary>
        public bool Accepts(object value)
        {
            if (Type == typeof(SwitchParameter) || Type == typeof(bool))
            {
                // PowerShell binds only booleans and numbers to a switch; text through SwitchText (SwitchFromTextAttribute).
                return value is bool or SwitchParameter or int or long or short or byte or double or decimal
                    || (value is string text && PipedRow.SwitchText(text) is not null);
            }

            if (Type == typeof(string))
            {
                return IsScalar(value);
            }

            if (Type == typeof(string[]))
            {
                return IsScalar(value) || (value is IEnumerable items and not IDictionary && AllScalar(items));
            }

            // -Encoding transforms text itself, and a name it does not know is already PowerShell's own binding error.
            return Type == typeof(System.Text.Encoding) || LanguagePrimitives.TryConvertTo(value, Type, out _);
        }

        private static object Unwrap(object value) => value is PSObject wrapped ? wrapped.BaseObject : value;

        private static bool AllScalar(IEnumerable items)
        {
            try
            {
                return items.Cast<object?>().All(item => item is null || IsScalar(Unwrap(item)));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not StackOverflowException)
            {
                // A collection that cannot be read (its enumerator throws) is not a value this row can send: the row
                // is refused as any other unusable column is, instead of ending the pipeline.
                return false;
            }
        }

        /// <summary>One value that reads as text: not a collection, a hashtable or an object with properties.</summary>
        private static bool IsScalar(object value) => value is string || !(value is IEnumerable || value is PSCustomObject);
    }

    /// <summary>What <see cref="PipedRow.Read"/> made of an input: whether it is a row, and why it cannot be sent as it is.</summary>
    internal readonly struct RowReading
    {
        public RowReading(bool isRow, MessageValidationException? problem)
        {
            IsRow = isRow;
            Problem = problem;
        }

        public bool IsRow { get; }

        /// <summary>Null when the row can be sent (or the input is no row).</summary>
        public MessageValidationException? Problem { get; }
    }

    /// <summary>
    /// A pipeline row: an Import-Csv line, or any object whose properties name message parameters. PowerShell binds a
    /// property to the parameter of its name only when the value converts to that parameter's type; when it does
    /// not, a compiled cmdlet's binder leaves the parameter unset without a word, so a row with a Priority of 'Bogus'
    /// went out as Normal and one with Headers 'text' without its headers. This finds such a property, or one naming
    /// a setting of the whole call, so the row is refused with its reason instead of sent without it.
    /// </summary>
    internal static class PipedRow
    {
        /// <summary>
        /// Send-MailMessage declares these as taken from the pipeline, yet reads them once, before any input arrives:
        /// a row's value never chose anything there. Here one connection serves the whole call, so a row that names
        /// one is refused rather than sent through another server than it says.
        /// </summary>
        private static readonly string[] CallParameters = { "SmtpServer", "ComputerName", "Port", "Credential", "UseSsl" };

        /// <summary>
        /// Reads an input as a row, listing its properties once (PSObject.Properties builds the whole member list on
        /// every call, and this runs for every row of a batch): whether it is a row at all, and if so why it cannot be
        /// sent as it is.
        /// </summary>
        /// <param name="input">The input object.</param>
        /// <param name="rowNames">The names that make an input a row (<see cref="SendParameters.MessageRowByName"/>).</param>
        /// <param name="rowParameters">The parameters a row may set, by each name that binds them (taken from the pipeline by property name).</param>
        /// <param name="commandLine">The parameters the command line gives: a row's property never replaces those.</param>
        /// <param name="anyInputIsRow">Whether every input is a row (a delay-bind script block takes its values from it).</param>
        public static RowReading Read(PSObject input, IReadOnlyDictionary<string, RowParameter> rowNames,
            IReadOnlyDictionary<string, RowParameter> rowParameters, ICollection<string> commandLine, bool anyInputIsRow)
        {
            var properties = new List<PSPropertyInfo>();
            var isRow = anyInputIsRow;
            foreach (var property in input.Properties)
            {
                properties.Add(property);
                isRow |= rowNames.ContainsKey(property.Name);
            }

            return isRow ? new RowReading(true, Problem(input, properties, rowParameters, commandLine)) : default;
        }

        /// <summary>
        /// PowerShell keeps a parameter bound from one row in $PSBoundParameters for the next rows, whether they bind it
        /// or not, so what a row set cannot be read from there: each property that names a parameter is checked the
        /// way the binder converts it instead.
        /// </summary>
        /// <returns>Why the row cannot be sent as it is, or null when every property naming a parameter was taken.</returns>
        private static MessageValidationException? Problem(PSObject row, IReadOnlyList<PSPropertyInfo> listed,
            IReadOnlyDictionary<string, RowParameter> rowParameters, ICollection<string> commandLine)
        {
            foreach (var property in listed)
            {
                if (rowParameters.TryGetValue(property.Name, out var parameter) && !commandLine.Contains(parameter.Name) &&
                    ValueOf(property) is { } value && Given(value) && !parameter.Accepts(value))
                {
                    return NotConverted(property.Name, value, parameter);
                }
            }

            // A custom object's properties are all in the one listing above (only a class's members can be hidden from
            // it), so the names below are looked up there instead of asking the object seven more times; a row has few
            // columns, so a search through them costs less than a dictionary built for every row.
            var custom = row.BaseObject is PSCustomObject;
            PSPropertyInfo? Property(string name)
            {
                if (!custom)
                {
                    return row.Properties[name];
                }

                foreach (var property in listed)
                {
                    if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                    {
                        return property;
                    }
                }

                return null;
            }

            if (Property("PSPath") is { } pathProperty && Property("PSProvider") is null && ValueOf(pathProperty) is { } path && Given(path))
            {
                // Send-MailMessage attached a row's PSPath (an alias of its -Attachments); here it names -Path, whose
                // files a row does not send: the file would silently stay behind. (A provider's own item, which a
                // delay-bind script block made a row, carries PSPath and PSProvider as its address, not as a request.)
                return new MessageValidationException(
                    "The input's 'PSPath' property names a file, which a row does not attach: give the row an Attachments property instead.",
                        "Attachments", path);
            }

            foreach (var name in CallParameters)
            {
                if (Property(name) is { } property && ValueOf(property) is { } value && Given(value))
                {
                    return new MessageValidationException(
                        $"The input's '{property.Name}' property would choose the SMTP connection for this message alone, but -SmtpServer, -Port, " +
                        "-Credential and -UseSsl belong to the whole call (Send-MailMessage, too, only ever used the command line's). Give them on " +
                        "the " +
                        "command line, and send the rows for each server in a call of their own (Group-Object helps).",
                        property.Name,
                        value);
                }
            }

            return null;
        }

        /// <summary>Each name (and alias) that binds one of <paramref name="parameters"/>, in any letter case.</summary>
        public static IReadOnlyDictionary<string, RowParameter> ByName(IEnumerable<RowParameter> parameters) =>
            parameters.SelectMany(p => p.Names.Select(name => (name, p)))
                .ToDictionary(pair => pair.name, pair => pair.p, StringComparer.OrdinalIgnoreCase);

        /// <summary>A switch's value written as text (an Import-Csv cell), or null when the text is none.</summary>
        public static bool? SwitchText(string text)
        {
            switch (text.Trim().ToUpperInvariant())
            {
                case "TRUE":
                case "$TRUE":
                case "YES":
                case "1":
                    return true;
                case "FALSE":
                case "$FALSE":
                case "NO":
                case "0":
                case "":
                    return false;
                default:
                    return null;
            }
        }

        /// <summary>The properties an object that only points at a file may have besides its path (Resolve-Path's PathInfo, provider
        /// items).</summary>
        private static readonly HashSet<string> PathOnlyProperties = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "PSPath", "PSParentPath", "PSChildName", "PSDrive", "PSProvider", "PSIsContainer",
        };

        private static readonly string[] PathProperties = { "PSPath", "FullName", "Path" };

        /// <summary>
        /// The file an input names, or null when it names none. Text is a path as Send-MailMessage takes it (wildcards
        /// allowed); a FileInfo, a PathInfo, or an object with nothing but a path property names one file exactly, so
        /// its wildcard characters ('[1]' in a name) are escaped. Any other object with a Path property (a process, a
        /// row with other columns) is no file: mailing what its Path names would surprise.
        /// </summary>
        public static string? FilePath(PSObject input)
        {
            switch (input.BaseObject)
            {
                case string text:
                    return text;
                case System.IO.FileSystemInfo file:
                    return WildcardPattern.Escape(file.FullName);
                case PathInfo resolved:
                    return WildcardPattern.Escape(resolved.Path);
            }

            var properties = input.Properties.Select(p => p.Name).ToList();
            var pathProperty = PathProperties.FirstOrDefault(name => properties.Contains(name, StringComparer.OrdinalIgnoreCase));
            if (pathProperty is null || properties.Any(name => !PathOnlyProperties.Contains(name)
                && !PathProperties.Contains(name, StringComparer.OrdinalIgnoreCase)))
            {
                return null;
            }

            return input.Properties[pathProperty] is { } property && ValueOf(property) is string path ? WildcardPattern.Escape(path) : null;
        }

        public static MessageValidationException BlankPath(object input) => new MessageValidationException(
            "A blank path was piped in: pipe the files to attach (or the .eml messages to send), or their paths.", "Path", input);

        /// <summary>A Get-MailSpool item piped into a call with message parameters: it would be taken for a new message.</summary>
        public static MessageValidationException SpoolItemWithMessageParameters(Spool.MailSpoolItem item, IEnumerable<string> messageParameters) =>
            new MessageValidationException(
                $"Spool item {item.Id} was not resent: a spool item is resent as it is, and -{string.Join(", -", messageParameters)} would make a " +
                "new " +
                "message of it instead. Resend with -Backend alone (and -SpoolDirectory, -ThrottleLimit, -MaxAttempts, -IncludeDeliveredBackends " +
                "if needed).",
                "SpoolItem",
                item);

        /// <summary>An input piped into a call whose -Path names the messages: it has no part in them.</summary>
        public static MessageValidationException WithPath(object? input) => new MessageValidationException(
            "-Path on the command line names the messages to send, once; what is piped in has no part in them and was not used. " +
            "Pipe the .eml files (or their paths) without -Path instead, or give -Path without piping.",
            "Path",
            input);

        /// <summary>Delay-bind script blocks with piped backends: there is no input row to take their values from.</summary>
        public static MessageValidationException DelayBindWithoutRows(IReadOnlyList<string> parameters) => new MessageValidationException(
            $"-{string.Join(", -", parameters)} " +
            $"{(parameters.Count == 1 ? "is a script block that takes its" : "are script blocks that take their")} value from each piped row, " +
            "and the piped backends bring none, so the message would go out without it. Nothing was sent: give the value as text, " +
            "or give the backends with -Backend and pipe the rows.",
            parameters[0],
            null);

        /// <summary>An input that is no row at all: nothing of it bound to any parameter.</summary>
        public static MessageValidationException Unusable(PSObject input)
        {
            var value = input.BaseObject;
            var hint = value switch
            {
                IDictionary => " A hashtable's keys are not properties: pipe [pscustomobject]@{ To = ...; Subject = ... } instead.",
                Backends.MailBackend => " Backends are piped in only when -Backend is not given on the command line.",
                _ => string.Empty,
            };
            return new MessageValidationException(
                $"The input ({value.GetType().Name}) is neither a message nor a file: no property of it names a message parameter. Pipe objects " +
                "whose properties name them " +
                $"(To, Subject, Body, ...), files or their paths to attach, .eml files, Get-MailSpool items, or backends.{hint}",
                "InputObject",
                value);
        }

        /// <summary>A message piped in after backends: those describe the one message the command line gives.</summary>
        public static MessageValidationException AfterBackends(object? input) => new MessageValidationException(
            "Backends and messages were piped in together. Piped backends send the one message the command line describes; to send " +
            "messages from the pipeline, give the backends with -Backend instead.",
            "InputObject",
            input);

        private static object? ValueOf(PSPropertyInfo property)
        {
            try
            {
                return property.Value is PSObject wrapped ? wrapped.BaseObject : property.Value;
            }
            catch (GetValueException)
            {
                // A property whose getter throws bound nothing either; there is nothing in it to lose.
                return null;
            }
        }

        /// <summary>An empty CSV cell means "not given", as an absent column does.</summary>
        private static bool Given(object? value) => value switch
        {
            null => false,
            string text => text.Trim().Length > 0,
            _ => true,
        };

        private static MessageValidationException NotConverted(string property, object value, RowParameter parameter)
        {
            var shown = value is string text ? $"'{ControlCharacters.Escape(text)}'" : $"a {value.GetType().Name}";
            var type = parameter.Type;
            var advice = type.IsEnum ? $"use one of {string.Join(", ", Enum.GetNames(type))}."
                : type == typeof(SwitchParameter) ? "use True or False (1 or 0)."
                : type == typeof(string) ? "it takes one text. Join lines first (Get-Content -Raw, or $lines -join \"`n\")."
                : type == typeof(string[]) ? "it takes text or a flat list of texts."
                : typeof(IDictionary).IsAssignableFrom(type)
                    ? $"it takes a hashtable, which a CSV cell cannot hold: build the rows as [pscustomobject]@{{ {parameter.Name} = @{{ ... }} }}."
                : $"it takes a {type.Name}.";
            return new MessageValidationException(
                $"The input's '{property}' property holds {shown}, which is not a valid -{parameter.Name}: {advice} The message was not sent, so " +
                    "it does not go out without it.",
                parameter.Name,
                value);
        }
    }
}
