using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// What the routing needs to know of Send-CompositeMail's parameters, read once from the cmdlet's declarations:
    /// those that describe the message, and those a pipeline row sets through a property of their name.
    /// </summary>
    internal sealed class SendParameters
    {
        public const string MessageSet = "Message";
        public const string PathSet = "Path";
        public const string SpoolSet = "Spool";
        public const string Path = "Path";
        public const string Backend = "Backend";
        public const string SmtpServer = "SmtpServer";
        public const string PassThru = "PassThru";

        public SendParameters(Type command)
        {
            var properties = command.GetProperties();
            Message = properties
                .Where(property => property.Name != Path)
                .Where(property =>
                {
                    var sets = ParameterAttributes(property);
                    return sets.Count > 0 && sets.All(set => set.ParameterSetName == MessageSet);
                })
                .Select(property => property.Name)
                .ToArray();
            Row = properties
                .Where(property => ParameterAttributes(property)
                    .Any(set => set.ParameterSetName == MessageSet && set.ValueFromPipelineByPropertyName))
                .Select(property => new RowParameter(
                    property.Name,
                    property.PropertyType,
                    property.GetCustomAttributes(typeof(AliasAttribute), false).Cast<AliasAttribute>().SelectMany(alias => alias.AliasNames)))
                .ToArray();
            RowByName = PipedRow.ByName(Row);
            MessageRowByName = PipedRow.ByName(Row.Where(p => p.Name != Path));
        }

        /// <summary>The parameters that describe the message itself, known from their parameter set.</summary>
        public IReadOnlyList<string> Message { get; }

        /// <summary>The parameters a pipeline row sets through a property of their name (or alias).</summary>
        public IReadOnlyList<RowParameter> Row { get; }

        /// <summary>Each name that binds a row parameter.</summary>
        public IReadOnlyDictionary<string, RowParameter> RowByName { get; }

        /// <summary>The names that make an input a row: all but -Path's, whose aliases (FullName) are common column names.</summary>
        public IReadOnlyDictionary<string, RowParameter> MessageRowByName { get; }

        private static IReadOnlyList<ParameterAttribute> ParameterAttributes(System.Reflection.PropertyInfo property) =>
            property.GetCustomAttributes(typeof(ParameterAttribute), false).Cast<ParameterAttribute>().ToList();
    }
}
