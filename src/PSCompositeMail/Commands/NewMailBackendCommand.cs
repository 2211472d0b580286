using System;
using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Commands
{
    /// <summary>Builds a backend object; connects to nothing.</summary>
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
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 30;

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(0, 20)]
        public int RetryCount { get; set; } = 2;

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(0.0, 600.0)]
        public double RetryIntervalSec { get; set; } = 1;

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateRange(1, int.MaxValue)]
        public int MaxMessagesPerConnection { get; set; } = 100;

        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? ProtocolLog { get; set; }

        /// <summary>The name this client gives in EHLO.</summary>
        [Parameter(ParameterSetName = SmtpSet)]
        [ValidateNotNullOrEmpty]
        public string? LocalDomain { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ConsoleSet)]
        public SwitchParameter Console { get; set; }

        [Parameter(ParameterSetName = ConsoleSet)]
        public ConsoleFormat Format { get; set; } = ConsoleFormat.Full;

        /// <summary>Information (always shown), or Verbose / Debug (shown only when the Send-CompositeMail call asks for that stream).</summary>
        [Parameter(ParameterSetName = ConsoleSet)]
        public ConsoleStream Stream { get; set; } = ConsoleStream.Information;

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
        public DeliveryPolicy Policy { get; set; } = DeliveryPolicy.All;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case CompositeSet:
                    // Backends may arrive one by one from the pipeline: the composite is built at the end.
                    _compositeMembers.AddRange(Backend);
                    break;
                case SmtpSet:
                    WriteObject(CreateSmtpBackend());
                    break;
                case DirectorySet:
                    WriteObject(new DirectoryBackend(Name, SessionState.Path.GetUnresolvedProviderPathFromPSPath(Directory)));
                    break;
                case MemorySet:
                    WriteObject(new MemoryBackend(Name));
                    break;
                case NullSet:
                    WriteObject(new NullBackend(Name));
                    break;
                case ScriptBlockSet:
                    WriteObject(new ScriptBlockBackend(Name, ScriptBlock!));
                    break;
                default:
                    WriteObject(new ConsoleBackend(Name, Format, Stream));
                    break;
            }
        }

        private SmtpBackend CreateSmtpBackend()
        {
            if (OAuthToken is not null && (Credential is not null || UserName is null))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new PSArgumentException("-OAuthToken goes with -UserName, and not with -Credential."), "OAuthNeedsUserName", ErrorCategory.InvalidArgument, OAuthToken));
            }

            var bound = MyInvocation.BoundParameters;
            var settings = new SmtpSettings(SmtpServer, bound.ContainsKey(nameof(Security)) ? Security : null, Port)
            {
                Credential = Credential?.GetNetworkCredential(),
                OAuthUserName = UserName,
                SkipCertificateCheck = SkipCertificateCheck,
                CertificateThumbprint = CertificateThumbprint,
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                RetryCount = RetryCount,
                RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
                MaxMessagesPerConnection = MaxMessagesPerConnection,
                ProtocolLog = ProtocolLog is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(ProtocolLog),
                LocalDomain = LocalDomain,
            };
            try
            {
                settings.OAuthToken = OAuthToken is null ? null : OAuthTokenSource.From(OAuthToken);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "InvalidOAuthToken", ErrorCategory.InvalidArgument, null));
            }

            if (SkipCertificateCheck)
            {
                WriteWarning($"Certificate checks are off for {SmtpServer}: anyone between here and the server can read and change the mail. Prefer -CertificateThumbprint to trust one certificate.");
            }

            return new SmtpBackend(Name, settings);
        }

        protected override void EndProcessing()
        {
            if (ParameterSetName == CompositeSet)
            {
                WriteObject(new CompositeBackend(Name, _compositeMembers, Policy));
            }
        }
    }
}
