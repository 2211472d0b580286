using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSCompositeMail.Profiles;

namespace PSCompositeMail.Commands
{
    /// <summary>Tab completion for Import-MailBackend -Environment: the environments of the file -Path names, read by the profile parser.</summary>
    internal sealed class EnvironmentNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst,
            IDictionary fakeBoundParameters)
        {
            if (fakeBoundParameters["Path"] is not { } path || ProfileFile(path.ToString()) is not { } file)
            {
                return Enumerable.Empty<CompletionResult>();
            }

            Hashtable environments;
            try
            {
                environments = MailProfile.Parse(file);
            }
            catch (ProfileException)
            {
                // A file that does not parse has no names to offer; Import-MailBackend itself will say what is wrong.
                return Enumerable.Empty<CompletionResult>();
            }

            var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            return environments.Keys.Cast<object>()
                .Select(key => key.ToString())
                .Where(name => name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .OrderBy(name => name, StringComparer.OrdinalIgnoreCase)
                .Select(name => new CompletionResult(name.Any(char.IsWhiteSpace) ? $"'{name}'" : name, name, CompletionResultType.ParameterValue,
                    name))
                .ToList();
        }

        /// <summary>The file as PowerShell resolves the path (relative to the current location, PSDrives), or null when there is none.</summary>
        private static string? ProfileFile(string path)
        {
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var resolved = shell.AddCommand("Microsoft.PowerShell.Management\\Resolve-Path").AddParameter("Path", path)
                .AddParameter("ErrorAction", "Ignore").Invoke();
            return resolved.Count == 1 && System.IO.File.Exists(resolved[0].Properties["ProviderPath"]?.Value as string)
                ? (string)resolved[0].Properties["ProviderPath"].Value
                : null;
        }
    }
}
