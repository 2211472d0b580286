using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Backends;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Recipes;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Builds a backend object; connects to nothing. The parameters only declare what binds, with PowerShell's checks:
    /// their values go by name to <see cref="BackendRecipes"/>, the one map from names to backend settings, which
    /// profile files (Import-MailBackend) use too. Defaults live with the settings, not here.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "MailBackend", DefaultParameterSetName = ConsoleSet)]
    [OutputType(typeof(MailBackend))]
    public sealed class NewMailBackendCommand : PSCmdlet
    {
        private const string SmtpSet = "Smtp";
        private const string ConsoleSet = "Console";
        private const string DirectorySet = "Directory";
        private const string MemorySet = "Memory";
        private const string NullSet = "Null";
        private const string ScriptBlockSet = "ScriptBlock";
        private const string CompositeSet = "Composite";
        private const string GraphSet = "Graph";

        private readonly List<MailBackend> _compositeMembers = new List<MailBackend>();

        [Parameter(Mandatory = true, ParameterSetName = SmtpSet)]
        public SwitchParameter Smtp { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = SmtpSet)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string SmtpServer { get; set; } = string.Empty;

        /// <summary>Default: 25 with None, 465 with SslOnConnect, 587 otherwise.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>Omitted: encryption required (implicit TLS on 465, STARTTLS elsewhere).</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        public SmtpSecurity Security { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>The mailbox to authenticate as: with -OAuthToken, or with app tokens (-TenantId…, -ManagedIdentity,
        /// -GoogleServiceAccountKey).</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? UserName { get; set; }

        /// <summary>A SecureString, or a script block asked for a fresh token at each connection.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNull]
        public object? OAuthToken { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        public SwitchParameter SkipCertificateCheck { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidatePattern("^[0-9A-Fa-f: ]{40,}$")]
        public string? CertificateThumbprint { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateRange(0, 20)]
        public int RetryCount { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(0.0, 600.0)]
        public double RetryIntervalSec { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(1, int.MaxValue)]
        public int MaxMessagesPerConnection { get; set; }

        /// <summary>After a message could not reach the relay, how long the rest of the pipeline skips it before one message probes it.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(1, 86400)]
        public int CircuitBreakSec { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? ProtocolLog { get; set; }

        /// <summary>Also log each message's content (headers and bodies); left out by default, as it holds personal data.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        public SwitchParameter ProtocolLogContent { get; set; }

        /// <summary>The name this client gives in EHLO.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? LocalDomain { get; set; }

        /// <summary>The d= domain DKIM signs for; with -DkimSelector and -DkimPrivateKeyPath.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = DirectorySet)]
        [ValidateNotNullOrEmpty]
        public string? DkimDomain { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = DirectorySet)]
        [ValidateNotNullOrEmpty]
        public string? DkimSelector { get; set; }

        /// <summary>PEM file with the RSA (2048 bits or more) or Ed25519 private key; read and checked here, not at the first send.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = DirectorySet)]
        [ValidateNotNullOrEmpty]
        public string? DkimPrivateKeyPath { get; set; }

        /// <summary>The PEM text of the DKIM private key, for keys kept in a secret vault rather than a file.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = DirectorySet)]
        [ValidateNotNull]
        public SecureString? DkimPrivateKey { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = GraphSet)]
        public SwitchParameter Graph { get; set; }

        /// <summary>The mailbox Graph sends as; default: each message's From address.</summary>
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNullOrEmpty]
        public string? Mailbox { get; set; }

        /// <summary>Default: kept, as Graph does; -SaveToSentItems:$false sends through a draft deleted after submission.</summary>
        [Parameter(ParameterSetName = GraphSet)]
        public SwitchParameter SaveToSentItems { get; set; }

        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNull]
        public Uri? GraphEndpoint { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNull]
        public SecureString? ClientSecret { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNull]
        public X509Certificate2? ClientCertificate { get; set; }

        /// <summary>PFX, or PEM with its key.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNullOrEmpty]
        public string? ClientCertificatePath { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNull]
        public SecureString? ClientCertificatePassword { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidatePattern("^[0-9A-Fa-f: ]{40,}$")]
        public string? ClientCertificateThumbprint { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        public SwitchParameter ManagedIdentity { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityClientId { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? GoogleServiceAccountKey { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        public MicrosoftCloud Cloud { get; set; }

        [Parameter(ParameterSetName = SmtpSet)]
        [Parameter(ParameterSetName = GraphSet)]
        [ValidateNotNull]
        public Uri? AuthorityHost { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ConsoleSet)]
        public SwitchParameter Console { get; set; }

        [Parameter(ParameterSetName = ConsoleSet)]
        public ConsoleFormat Format { get; set; }

        /// <summary>Information (always shown), or Verbose / Debug (shown only when the Send-CompositeMail call asks for that stream).</summary>
        [Parameter(ParameterSetName = ConsoleSet)]
        public ConsoleStream Stream { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = DirectorySet)]
        [ValidateNotNullOrEmpty]
        public string Directory { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = MemorySet)]
        public SwitchParameter Memory { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = NullSet)]
        public SwitchParameter Null { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ScriptBlockSet)]
        [ValidateNotNull]
        public ScriptBlock? ScriptBlock { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = CompositeSet)]
        public SwitchParameter Composite { get; set; }

        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = CompositeSet)]
        [ValidateNotNullOrEmpty]
        public MailBackend[] Backend { get; set; } = Array.Empty<MailBackend>();

        [Parameter(ParameterSetName = CompositeSet)]
        public DeliveryPolicy Policy { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == CompositeSet)
            {
                // Backends may arrive one by one from the pipeline: the composite is built at the end.
                _compositeMembers.AddRange(Backend);
                return;
            }

            Build(BoundSettings());
        }

        protected override void EndProcessing()
        {
            if (ParameterSetName == CompositeSet)
            {
                var settings = BoundSettings();
                settings[nameof(Backend)] = _compositeMembers.ToArray();
                Build(settings);
            }
        }

        /// <summary>The bound parameters of the chosen set, without the switch that chose it and the common parameters.</summary>
        private Dictionary<string, object?> BoundSettings() =>
            MyInvocation.BoundParameters
                .Where(p => !(p.Value is SwitchParameter && p.Key == ParameterSetName) && !CommonParameters.Contains(p.Key)
                    && !OptionalCommonParameters.Contains(p.Key))
                .ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.OrdinalIgnoreCase);

        private void Build(Dictionary<string, object?> settings)
        {
            var kind = (MailBackendKind)Enum.Parse(typeof(MailBackendKind), ParameterSetName);
            try
            {
                WriteObject(BackendRecipes.For(kind).Build(
                    settings,
                    SessionState.Path.GetUnresolvedProviderPathFromPSPath,
                    text => WriteWarning(StreamWriting.Escaped(text)),
                    MailEngine.Instance));
            }
            catch (BackendSettingException ex)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, ex.ErrorId, ex.Category, ex.Setting)));
            }
        }
    }
}
