using System;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Hosting;
using PSCompositeMail.Profiles;

namespace PSCompositeMail.Commands
{
    /// <summary>Builds the backends a profile file describes for one environment.</summary>
    [Cmdlet(VerbsData.Import, "MailBackend")]
    [OutputType(typeof(MailBackend))]
    public sealed class ImportMailBackendCommand : PSCmdlet
    {
        public const string EnvironmentVariable = "PSCOMPOSITEMAIL_ENVIRONMENT";

        /// <summary>Profile keys are New-MailBackend's parameters, converted and checked by its own metadata.</summary>
        private static readonly NewMailBackendParameters BackendParameters = new NewMailBackendParameters(typeof(NewMailBackendCommand));

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = string.Empty;

        /// <summary>Default: the PSCOMPOSITEMAIL_ENVIRONMENT environment variable.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(EnvironmentNameCompleter))]
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
                    throw new ProfileException(file, null, null,
                        $"no environment was chosen: give -Environment, or set the {EnvironmentVariable} environment variable");
                }

                var profile = new MailProfile(
                    file, environment!, ImportCredential, text => WriteWarning(StreamWriting.Escaped(text)), BackendParameters, MailEngine.Instance);
                foreach (var backend in profile.Read(MailProfile.Parse(file)))
                {
                    WriteObject(backend);
                }
            }
            catch (ProfileException ex)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, "InvalidMailProfile", ErrorCategory.InvalidData, file)));
            }
        }

        private PSCredential ImportCredential(string file)
        {
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var imported = shell.AddCommand("Microsoft.PowerShell.Utility\\Import-Clixml").AddParameter("LiteralPath", file).Invoke();
            return imported.Select(o => o?.BaseObject).OfType<PSCredential>().FirstOrDefault()
                ?? throw new InvalidOperationException("the file holds no PSCredential");
        }
    }
}
