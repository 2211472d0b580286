using System;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Backends;
using PSCompositeMail.Hosting;
using PSCompositeMail.Recipes;
using PSCompositeMail.Sending;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// The Send-MailMessage form (no -Backend): its SMTP parameters beyond Send-MailMessage's own (-SmtpServer, -Port,
    /// -Credential, -UseSsl, -Security stay beside them) and the choice between it and backends. Each SMTP parameter
    /// passes by name through New-MailBackend's SMTP recipe (SmtpShortcut), so accepting one more is only declaring it
    /// here, with New-MailBackend's validation; with -Backend each is an error. What is piped in: .PipedInput.cs.
    /// </summary>
    public sealed partial class SendCompositeMailCommand
    {
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        [Parameter]
        [ValidatePattern("^[0-9A-Fa-f: ]{40,}$")]
        public string? CertificateThumbprint { get; set; }

        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; }

        [Parameter]
        [ValidateRange(0, 20)]
        public int RetryCount { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ProtocolLog { get; set; }

        [Parameter]
        public SwitchParameter ProtocolLogContent { get; set; }

        [Parameter]
        [ValidateRange(0.0, 600.0)]
        public double RetryIntervalSec { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MaxMessagesPerConnection { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? LocalDomain { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int CircuitBreakSec { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimDomain { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimSelector { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DkimPrivateKeyPath { get; set; }

        [Parameter]
        [ValidateNotNull]
        public SecureString? DkimPrivateKey { get; set; }

        /// <summary>Without -Backend: the mailbox to authenticate as with -OAuthToken or app tokens.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? UserName { get; set; }

        /// <summary>Without -Backend: a SecureString, or a script block asked for a fresh token at each connection.</summary>
        [Parameter]
        [ValidateNotNull]
        public object? OAuthToken { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        [Parameter]
        [ValidateNotNull]
        public SecureString? ClientSecret { get; set; }

        [Parameter]
        [ValidateNotNull]
        public X509Certificate2? ClientCertificate { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientCertificatePath { get; set; }

        [Parameter]
        [ValidateNotNull]
        public SecureString? ClientCertificatePassword { get; set; }

        [Parameter]
        [ValidatePattern("^[0-9A-Fa-f: ]{40,}$")]
        public string? ClientCertificateThumbprint { get; set; }

        [Parameter]
        public SwitchParameter ManagedIdentity { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityClientId { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? GoogleServiceAccountKey { get; set; }

        [Parameter]
        public MicrosoftCloud Cloud { get; set; }

        [Parameter]
        [ValidateNotNull]
        public Uri? AuthorityHost { get; set; }

        /// <summary>The Send-MailMessage form: an SMTP backend from -SmtpServer (or $PSEmailServer) and its companions; nothing written without
        /// -PassThru.</summary>
        private void UseSmtpShortcut()
        {
            var server = SmtpServer ?? SessionState.PSVariable.GetValue("PSEmailServer") as string;
            if (string.IsNullOrEmpty(server))
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(
                    new PSArgumentException(
                        "Give the backends to send through with -Backend (or pipe them in), or an SMTP server with -SmtpServer (or $PSEmailServer)."),
                    "NoBackend",
                    ErrorCategory.InvalidArgument,
                    null)));
            }

            MailBackend? shortcut = null;
            try
            {
                shortcut = SmtpShortcut.Create(
                    server!,
                    MyInvocation.BoundParameters,
                    GetUnresolvedProviderPathFromPSPath,
                    text => WriteWarning(StreamWriting.Escaped(text)),
                    MailEngine.Instance);
            }
            catch (BackendSettingException ex)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, ex.Setting)));
            }

            if (shortcut is SmtpBackend smtp)
            {
                WriteVerbose(StreamWriting.Escaped(SmtpShortcut.Explain(smtp)));
            }

            _sender!.UseBackends(new[] { shortcut! });
        }
    }
}
