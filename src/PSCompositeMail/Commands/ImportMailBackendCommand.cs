using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Profiles;

namespace PSCompositeMail.Commands
{
    /// <summary>Builds the backends a profile file describes for one environment.</summary>
    [Cmdlet(VerbsData.Import, "MailBackend")]
    [OutputType(typeof(MailBackend))]
    public sealed class ImportMailBackendCommand : PSCmdlet
    {
        public const string EnvironmentVariable = "PSCOMPOSITEMAIL_ENVIRONMENT";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = string.Empty;

        /// <summary>Default: the PSCOMPOSITEMAIL_ENVIRONMENT environment variable.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        public string? Environment { get; set; }

        protected override void ProcessRecord()
        {
            var file = GetUnresolvedProviderPathFromPSPath(Path);
            var environment = Environment ?? System.Environment.GetEnvironmentVariable(EnvironmentVariable);
            try
            {
                if (!System.IO.File.Exists(file))
                {
                    throw new ProfileException(file, environment, null, "the file does not exist");
                }

                if (string.IsNullOrEmpty(environment))
                {
                    throw new ProfileException(file, null, null, $"no environment was chosen: give -Environment, or set the {EnvironmentVariable} environment variable");
                }

                var newMailBackend = InvokeCommand.GetCmdlet("New-MailBackend");
                var profile = new MailProfile(file, type => ParametersOf(newMailBackend, type), ImportCredential);
                foreach (var spec in profile.Read(MailProfile.Parse(file), environment!))
                {
                    WriteObject(Create(newMailBackend, spec, file, environment!));
                }
            }
            catch (ProfileException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "InvalidMailProfile", ErrorCategory.InvalidData, file));
            }
        }

        private static IReadOnlyCollection<string> ParametersOf(CmdletInfo command, string type) =>
            command.ParameterSets.Where(set => set.Name == type).SelectMany(set => set.Parameters).Select(p => p.Name)
                .Except(CommonParameters.Concat(OptionalCommonParameters)).ToArray();

        private PSCredential ImportCredential(string file)
        {
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var imported = shell.AddCommand("Microsoft.PowerShell.Utility\\Import-Clixml").AddParameter("LiteralPath", file).Invoke();
            return imported.Select(o => o?.BaseObject).OfType<PSCredential>().FirstOrDefault()
                ?? throw new InvalidOperationException("the file holds no PSCredential");
        }

        /// <summary>Goes through New-MailBackend itself, so a profile gets exactly the checks and defaults of the command line.</summary>
        private MailBackend Create(CmdletInfo newMailBackend, BackendSpec spec, string file, string environment)
        {
            var parameters = new Dictionary<string, object?>(spec.Parameters, StringComparer.OrdinalIgnoreCase);
            if (spec.Type != "Directory")
            {
                parameters[spec.Type] = true;
            }

            if (spec.Members.Count > 0)
            {
                parameters["Backend"] = spec.Members.Select(m => Create(newMailBackend, m, file, environment)).ToArray();
            }

            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            shell.AddCommand(newMailBackend).AddParameters(parameters);
            try
            {
                var created = shell.Invoke().Select(o => o?.BaseObject).OfType<MailBackend>().SingleOrDefault();
                foreach (var warning in shell.Streams.Warning)
                {
                    WriteWarning(warning.Message);
                }

                return created ?? throw new ProfileException(file, environment, spec.Type, "New-MailBackend returned no backend");
            }
            catch (Exception ex) when (ex is ParameterBindingException or RuntimeException && ex is not ProfileException)
            {
                var key = (ex as ParameterBindingException)?.ParameterName;
                throw new ProfileException(file, environment, key is null ? spec.Type : $"{spec.Type}.{key}", ex.Message);
            }
        }
    }
}
