using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Results;

namespace PSCompositeMail.Profiles
{
    /// <summary>
    /// New-MailBackend's parameters as PowerShell knows them from the command's own metadata (type, mandatory,
    /// [ValidateRange] and the like), so a profile value is converted and checked exactly as the command line
    /// would check it, without a second copy of the rules. The cmdlet's type is given by the caller, since profiles
    /// sit below the cmdlets.
    /// </summary>
    internal sealed class NewMailBackendParameters
    {
        private readonly Dictionary<string, ParameterMetadata> _parameters;

        public NewMailBackendParameters(Type newMailBackendCommand)
        {
            _parameters = new CommandMetadata(newMailBackendCommand).Parameters;
        }

        /// <summary>The parameters a kind cannot do without, besides the switch that chooses it.</summary>
        public IEnumerable<string> MandatoryOf(MailBackendKind kind) =>
            _parameters.Values
                .Where(p => p.ParameterType != typeof(SwitchParameter) && p.ParameterSets.TryGetValue(kind.ToString(), out var set)
                    && set.IsMandatory)
                .Select(p => p.Name);

        /// <summary>The value as binding would give it to the parameter; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
        public object? Bind(string parameter, object? value)
        {
            var metadata = _parameters[parameter];
            object? typed;
            try
            {
                typed = LanguagePrimitives.ConvertTo(value, metadata.ParameterType, CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException ex)
            {
                throw new ArgumentException(ex.Message, ex);
            }

            foreach (var rule in metadata.Attributes.OfType<ValidateArgumentsAttribute>())
            {
                try
                {
                    // A variable carrying the parameter's validation attribute runs PowerShell's own check of it.
                    _ = new PSVariable(parameter, typed, ScopedItemOptions.None, new Collection<Attribute> { rule });
                }
                catch (ValidationMetadataException ex)
                {
                    throw new ArgumentException($"'{value}' is not a valid {parameter}: it must be {Describe(rule)}.", ex);
                }
            }

            return typed;
        }

        private static string Describe(ValidateArgumentsAttribute rule) => rule switch
        {
            ValidateRangeAttribute range => $"from {range.MinRange} to {range.MaxRange}",
            ValidatePatternAttribute pattern => $"text matching {pattern.RegexPattern}",
            ValidateSetAttribute set => "one of " + string.Join(", ", set.ValidValues),
            ValidateNotNullOrEmptyAttribute or ValidateNotNullAttribute => "given and not empty",
            _ => "what " + rule.GetType().Name.Replace("Attribute", string.Empty) + " accepts",
        };
    }
}
