using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Commands
{
    /// <summary>Sends each message through every given backend under a delivery policy.</summary>
    [Cmdlet(VerbsCommunications.Send, "CompositeMail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SendResult))]
    public sealed class SendCompositeMailCommand : CancellableCmdlet
    {
        private readonly List<MailBackend> _pipelineBackends = new List<MailBackend>();
        private DeliveryContext? _context;
        private CompositeBackend? _root;
        private IDeliverySession? _session;
        private bool _backendFromCommandLine;

        [Parameter(ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MailBackend[]? Backend { get; set; }

        [Parameter]
        public DeliveryPolicy Policy { get; set; } = DeliveryPolicy.All;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? From { get; set; }

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? To { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Cc { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Bcc { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? ReplyTo { get; set; }

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("sub")]
        [AllowEmptyString]
        public string? Subject { get; set; }

        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string? Body { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("BAH")]
        public SwitchParameter BodyAsHtml { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? HtmlBody { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("PsPath")]
        [AllowEmptyCollection]
        public string[]? Attachments { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public MailPriority Priority { get; set; } = MailPriority.Normal;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("DNO")]
        public DeliveryNotificationOptions DeliveryNotificationOption { get; set; } = DeliveryNotificationOptions.None;

        [Parameter]
        [Alias("BE")]
        [EncodingTransformation]
        [ArgumentCompleter(typeof(EncodingCompleter))]
        public Encoding? Encoding { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Hashtable? Headers { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Sender { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? MessageId { get; set; }

        /// <summary>Without -Backend: the SMTP server to send through, as Send-MailMessage takes it ($PSEmailServer when omitted).</summary>
        [Parameter]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? SmtpServer { get; set; }

        /// <summary>Without -Backend: 25, as Send-MailMessage, unless -Security SslOnConnect (465).</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>Without -Backend: encryption required. Without it, STARTTLS is used whenever the server offers it.</summary>
        [Parameter]
        public SwitchParameter UseSsl { get; set; }

        [Parameter]
        public SmtpSecurity Security { get; set; }

        protected override void BeginProcessing()
        {
            _backendFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Backend));
            _context = new DeliveryContext(CancellationToken);
            var server = SmtpServer ?? (MyInvocation.ExpectingInput ? null : SessionState.PSVariable.GetValue("PSEmailServer") as string);
            if (!_backendFromCommandLine && !string.IsNullOrEmpty(server))
            {
                Backend = new MailBackend[] { CreateShortcutBackend(server!) };
                _backendFromCommandLine = true;
            }

            if (_backendFromCommandLine)
            {
                _root = new CompositeBackend("Send-CompositeMail", Backend!, Policy);
            }
            else if (!MyInvocation.ExpectingInput)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new PSArgumentException("Give the backends to send through with -Backend (or pipe them in), or an SMTP server with -SmtpServer."),
                    "NoBackend",
                    ErrorCategory.InvalidArgument,
                    null));
            }
        }

        /// <summary>
        /// The Send-MailMessage way: -UseSsl requires encryption; without it STARTTLS is used when offered so clear-text
        /// relays keep working. A credential still never travels unencrypted unless -Security None says so.
        /// </summary>
        private SmtpBackend CreateShortcutBackend(string server)
        {
            var bound = MyInvocation.BoundParameters;
            SmtpSecurity? security = bound.ContainsKey(nameof(Security)) ? Security : UseSsl ? null : SmtpSecurity.StartTlsWhenAvailable;
            var port = Port > 0 ? Port : security == SmtpSecurity.SslOnConnect ? 465 : 25;
            return new SmtpBackend("smtp", new SmtpSettings(server, security, port) { Credential = Credential?.GetNetworkCredential() });
        }

        protected override void ProcessRecord()
        {
            if (!_backendFromCommandLine)
            {
                // Backends piped in describe one message given by parameters: it is sent once they have all arrived.
                if (Backend is null)
                {
                    ThrowTerminatingError(new ErrorRecord(
                        new PSArgumentException("Pipe messages in only when -Backend is given on the command line."),
                        "NoBackend",
                        ErrorCategory.InvalidArgument,
                        null));
                }

                _pipelineBackends.AddRange(Backend!);
                return;
            }

            SendOne();
        }

        protected override void EndProcessing()
        {
            if (_pipelineBackends.Count > 0)
            {
                _root = new CompositeBackend("Send-CompositeMail", _pipelineBackends, Policy);
                SendOne();
            }

            ReleaseResources();
        }

        protected override void ReleaseResources()
        {
            _session?.Dispose();
            _session = null;
        }

        private void SendOne()
        {
            OutgoingMessage message;
            try
            {
                message = MessageBuilder.Build(DescribeMessage());
            }
            catch (MessageValidationException ex)
            {
                WriteError(new ErrorRecord(ex, "InvalidMessage", ErrorCategories.For(ex), ex.BadValue));
                return;
            }

            using (message)
            {
                var recipients = string.Join(", ", message.Recipients.Select(r => r.Address));
                var target = $"'{message.Subject}' from {message.EnvelopeSender.Address} to {recipients}";
                if (!ShouldProcess(target, $"Send through {_root!.Description}"))
                {
                    return;
                }

                _session ??= _root!.OpenSession(_context!);
                BackendResult outcome;
                try
                {
                    outcome = _session.Deliver(message);
                }
                finally
                {
                    StreamWriting.Drain(this, _context!);
                }

                var result = new SendResult(message.MessageId, message.Subject, message.To, Policy.ToString(), outcome.Succeeded, outcome.Results);
                WriteObject(result);
                if (!result.Succeeded)
                {
                    var failure = (MailDeliveryException)outcome.Exception!;
                    WriteError(new ErrorRecord(
                        new MailDeliveryException($"'{message.Subject}' <{message.MessageId}> was not delivered (policy {Policy}): {failure.Message}", failure.Failures),
                        "MessageNotDelivered",
                        ErrorCategories.For(failure.RootCause),
                        result));
                }
            }
        }

        private MessageSpec DescribeMessage() => new MessageSpec
        {
            From = From,
            Sender = Sender,
            To = To,
            Cc = Cc,
            Bcc = Bcc,
            ReplyTo = ReplyTo,
            Subject = Subject,
            Body = Body,
            BodyAsHtml = BodyAsHtml,
            HtmlBody = HtmlBody,
            Attachments = ResolveAttachments(),
            Priority = Priority,
            DeliveryNotification = DeliveryNotificationOption,
            Encoding = Encoding,
            Headers = Headers,
            MessageId = MessageId,
        };

        private IReadOnlyList<string> ResolveAttachments()
        {
            var resolved = new List<string>();
            foreach (var path in Attachments ?? Array.Empty<string>())
            {
                HeaderValueGuard.RejectLineBreaks(path, nameof(Attachments));
                Collection<string> matches;
                try
                {
                    matches = GetResolvedProviderPathFromPSPath(path, out _);
                }
                catch (ItemNotFoundException ex)
                {
                    throw new MessageValidationException($"The attachment '{path}' was not found.", nameof(Attachments), path, MessageProblem.NotFound, ex);
                }

                if (matches.Count == 0)
                {
                    throw new MessageValidationException($"No file matches the attachment '{path}'.", nameof(Attachments), path, MessageProblem.NotFound);
                }

                resolved.AddRange(matches);
            }

            return resolved;
        }
    }
}
