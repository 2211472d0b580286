using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Sending;
using PSCompositeMail.Smtp;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Sends each message through every given backend under a delivery policy. The cmdlet binds parameters, carries
    /// out what <see cref="SendInvocation"/> decides about the command line and each input, and writes streams;
    /// <see cref="MailSender"/> does the sending. The file is longer than most because Send-MailMessage's parameters
    /// (and the three ways to give a message) are all declared here; the Send-MailMessage form's own SMTP parameters
    /// are in SendCompositeMailCommand.SendMailMessageForm.cs, S/MIME's in .Smime.cs.
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "CompositeMail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName =
        MessageSet)]
    [OutputType(typeof(SendResult))]
    public sealed partial class SendCompositeMailCommand : CancellableCmdlet, ISendHost
    {
        private const string MessageSet = SendParameters.MessageSet;
        private const string PathSet = SendParameters.PathSet;
        private const string SpoolSet = SendParameters.SpoolSet;

        private static readonly SendParameters Parameters = new SendParameters(typeof(SendCompositeMailCommand));

        private readonly SendInvocation _invocation = new SendInvocation(Parameters);
        private readonly BatchProgress _progress = new BatchProgress();
        private DeliveryContext? _context;
        private MailSender? _sender;
        private MessageDescriber? _describer;
        private bool _describeMessages;
        private SendReport? _writing;

        [Parameter(ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MailBackend[]? Backend { get; set; }

        [Parameter]
        public DeliveryPolicy Policy { get; set; } = DeliveryPolicy.All;

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string? From { get; set; }

        [Parameter(ParameterSetName = MessageSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? To { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Cc { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Bcc { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? ReplyTo { get; set; }

        [Parameter(ParameterSetName = MessageSet, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("sub")]
        [AllowEmptyString]
        public string? Subject { get; set; }

        /// <summary>Text, or a report from ConvertTo-MailHtml (sent as text and HTML: multipart/alternative).</summary>
        [Parameter(ParameterSetName = MessageSet, Position = 2, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [MailBodyTransformation]
        public string? Body { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("BAH")]
        [SwitchFromText]
        public SwitchParameter BodyAsHtml { get; set; }

        /// <summary>HTML, or a report from ConvertTo-MailHtml (its HTML).</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [MailBodyHtmlTransformation]
        public string? HtmlBody { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Attachments { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public MailPriority Priority { get; set; } = MailPriority.Normal;

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("DNO")]
        public DeliveryNotificationOptions DeliveryNotificationOption { get; set; } = DeliveryNotificationOptions.None;

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("BE", "Enc")]
        [EncodingTransformation]
        [ArgumentCompleter(typeof(EncodingCompleter))]
        public Encoding? Encoding { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public Hashtable? Headers { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string? Sender { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string? MessageId { get; set; }

        /// <summary>Images the HTML body shows as cid:&lt;key&gt;: a hashtable of content id to file path.</summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public Hashtable? InlineAttachments { get; set; }

        /// <summary>
        /// .eml files to send as they are. Files piped in bind here too: with a recipient on the command line they are
        /// attachments of that one message instead (see <see cref="PipedFiles"/>).
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [Alias("PSPath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>
        /// Whatever comes down the pipeline, as it came: paths given as text become attachments as with Send-MailMessage,
        /// and a row is checked for properties PowerShell could not bind (<see cref="PipedRow"/>).
        /// </summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipeline = true, DontShow = true)]
        public PipelineInput? InputObject { get; set; }

        /// <summary>Items from Get-MailSpool: each is resent and leaves the spool only once delivered.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SpoolSet, ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MailSpoolItem[] SpoolItem { get; set; } = Array.Empty<MailSpoolItem>();

        /// <summary>How many messages are delivered at once, each on its own connection; results keep the input order.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Resending from a spool: after this many failed attempts an item moves to the poison folder.</summary>
        [Parameter(ParameterSetName = SpoolSet)]
        [ValidateRange(1, 1000)]
        public int MaxAttempts { get; set; } = 5;

        /// <summary>Resending from a spool: send through every backend, also those that took the message on an earlier attempt (skipped
        /// otherwise).</summary>
        [Parameter(ParameterSetName = SpoolSet)]
        public SwitchParameter IncludeDeliveredBackends { get; set; }

        /// <summary>Where messages that were not delivered are kept (.eml plus metadata) for Get-MailSpool and a later resend.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SpoolDirectory { get; set; }

        /// <summary>
        /// The message log: one JSON line per message this call took (delivered, spooled, failed, refused), appended;
        /// by default the LogPath of the profile environment the backends came from.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? LogPath { get; set; }

        /// <summary>Without -Backend: the SMTP server to send through, as Send-MailMessage takes it ($PSEmailServer when omitted).</summary>
        [Parameter(ParameterSetName = MessageSet, Position = 3)]
        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = SpoolSet)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? SmtpServer { get; set; }

        /// <summary>Without -Backend: 25, as Send-MailMessage, unless -Security SslOnConnect (465).</summary>
        [Parameter]
        [Alias("Po")]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>Without -Backend: encryption required. Without it, STARTTLS is used whenever the server offers it.</summary>
        // The aliases here, on -Port and "Enc" on -Encoding keep the abbreviations a Send-MailMessage script may use
        // (-Use, -Po, -Enc) meaning what they meant there, where this command's other parameters made them ambiguous.
        [Parameter]
        [Alias("U", "Us", "Use")]
        public SwitchParameter UseSsl { get; set; }

        [Parameter]
        public SmtpSecurity Security { get; set; }

        /// <summary>Without -Backend: write the results, which the Send-MailMessage form otherwise keeps to itself as Send-MailMessage
        /// does.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            _context = new DeliveryContext(CancellationToken, MailEngine.Instance)
            {
                VerboseEnabled = VerboseRequested,
                DebugEnabled = DebugRequested,
            };
            _describeMessages = _context.VerboseEnabled || ConfirmationPossible;
            var spool = SpoolDirectory is null ? null : new MailSpool(GetUnresolvedProviderPathFromPSPath(SpoolDirectory));
            _sender = new MailSender(_context, this, new SendSettings
            {
                Policy = Policy,
                ThrottleLimit = ThrottleLimit,
                Spool = spool,
                MaxAttempts = MaxAttempts,
                IncludeDeliveredBackends = IncludeDeliveredBackends,
                Logs = LogPath is null ? Array.Empty<MessageLog>() : new[] { new MessageLog(GetUnresolvedProviderPathFromPSPath(LogPath)) },
            });

            _describer = new MessageDescriber(_sender.Paths, _context);
            CarryOut(_invocation.Begin(MyInvocation.BoundParameters, MyInvocation.ExpectingInput, GivenMessage()));
        }

        protected override void ProcessRecord()
        {
            CarryOut(_invocation.Input(new BoundInput
            {
                ParameterSet = ParameterSetName,
                Backends = Backend,
                Value = InputObject?.Value,
                SpoolItems = SpoolItem,
                Paths = Path,
                Message = GivenMessage(),
            }));
        }

        protected override void EndProcessing()
        {
            CarryOut(_invocation.End());
            WhileSending(_sender!.Finish);
            if (_progress.Shown)
            {
                WriteProgress(_progress.Completed());
            }

            ReleaseResources();
        }

        /// <summary>
        /// However the pipeline ended, every message taken is settled first (spooled, claims given back). A pipeline
        /// can end between two ProcessRecord calls, with no code of this cmdlet running: a later input that fails to
        /// bind under -ErrorAction Stop (a delay-bind script block that throws, a value of the wrong type). Only
        /// Dispose comes after that, and PowerShell still takes warnings there, so the messages not reported are
        /// named here. After a stop (Ctrl+C) nothing may be written, and nothing is.
        /// </summary>
        protected override void ReleaseResources()
        {
            if (_sender is not null && !CancellationToken.IsCancellationRequested)
            {
                _sender.End();
                WarnUnwritten();
            }

            _sender?.Dispose();
            _sender = null;
            _context?.Dispose();
            _context = null;
        }

        /// <summary>Carries out what the routing decided, in order: a contradiction ends the call; each send is written as it settles.</summary>
        private void CarryOut(IEnumerable<SendDecision> decisions)
        {
            foreach (var decision in decisions)
            {
                switch (decision)
                {
                    case SendDecision.Fail fail:
                        var contradiction = new PSArgumentException(fail.Message);
                        var error = new ErrorRecord(contradiction, fail.ErrorId, ErrorCategory.InvalidArgument, fail.Target);
                        ThrowTerminatingError(StreamWriting.Escaped(error));
                        break;
                    case SendDecision.UseBackends use:
                        _sender!.UseBackends(use.Backends);
                        break;
                    case SendDecision.UseSmtpShortcut:
                        UseSmtpShortcut();
                        break;
                    default:
                        WhileSending(() => Send(decision));
                        break;
                }
            }
        }

        private void Send(SendDecision decision)
        {
            switch (decision)
            {
                case SendDecision.Send message:
                    _sender!.Send(() => _describer!.Describe(message.Message, message.PipedAttachments));
                    break;
                case SendDecision.SendFiles files:
                    _sender!.SendFiles(files.Paths, files.Piped);
                    break;
                case SendDecision.Resend resend:
                    _sender!.Resend(resend.Items);
                    break;
                case SendDecision.Refuse refuse:
                    _sender!.Refuse(refuse.Problem);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(decision), decision.GetType().Name, "A decision this cmdlet does not carry out.");
            }
        }

        /// <summary>
        /// Runs one step and writes what it settled. When a write ends the pipeline (-ErrorAction Stop, a later
        /// command that threw or had enough, as Select-Object -First), the messages still on their way are settled
        /// and each one not delivered is named in a warning before the pipeline goes; when it is stopped, there is
        /// no writing any more and Dispose settles them.
        /// </summary>
        private void WhileSending(Action step)
        {
            try
            {
                step();
                WriteReports();
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception ex) when (!CancellationToken.IsCancellationRequested)
            {
                _sender!.End();
                WarnUnwritten();
                if (DeliveryAttempt.IsProgrammingError(ex))
                {
                    ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, "InternalError", ErrorCategory.NotSpecified, null)
                    {
                        ErrorDetails = new ErrorDetails(
                            $"Internal error in PSCompositeMail, a bug: {ex.GetType().FullName}: {ex.Message} " +
                            "Please report it with the stack trace ($Error[0].Exception.StackTrace)."),
                    }));
                }

                throw;
            }
        }

        private void WriteReports()
        {
            foreach (var report in _sender!.TakeReports())
            {
                // Until its result or error is on its way out, a report is unwritten: a warning a backend queued can
                // end the pipeline first (-WarningAction Stop), and WarnUnwritten must still name its message.
                _writing = report;
                StreamWriting.Drain(this, _context!);
                if (report.Verbose is { } note)
                {
                    WriteVerbose(StreamWriting.Escaped(note));
                }

                _writing = null;

                if (report.Result is { } result)
                {
                    if (_invocation.WritesResults)
                    {
                        WriteObject(result);
                    }

                    if (_progress.Count() is { } progress)
                    {
                        WriteProgress(progress);
                    }
                }

                if (report.Error is { } error)
                {
                    WriteError(StreamWriting.Escaped(new ErrorRecord(error.Exception, error.ErrorId, error.Category, error.Target)));
                }
                else if (_invocation.SmtpShortcutUsed && report.Result is { } delivered && SendReport.RefusedRecipients(delivered) is { } refused)
                {
                    // Send-MailMessage throws for a recipient refused for good; its renamed call must not be quieter.
                    WriteError(StreamWriting.Escaped(new ErrorRecord(refused, "RecipientsRefused", ErrorCategory.InvalidOperation, delivered)));
                }
            }

            StreamWriting.Drain(this, _context!);
        }

        private void WarnUnwritten()
        {
            var interrupted = _writing is null ? Enumerable.Empty<SendReport>() : new[] { _writing };
            _writing = null;
            foreach (var report in interrupted.Concat(_sender!.TakeReports()))
            {
                if (report.Unwritten is not { } warning)
                {
                    continue;
                }

                try
                {
                    WriteWarning(StreamWriting.Escaped(warning));
                }
                catch (Exception ex) when (ex is ActionPreferenceStopException or PipelineStoppedException
                    && !CancellationToken.IsCancellationRequested)
                {
                    // -WarningAction Stop: PowerShell puts the warning in the stream, then throws (ActionPreferenceStop
                    // the first time, PipelineStopped once the pipeline is ending). The pipeline ends with its first
                    // reason anyway, so each message is named before it does. After a real Stop() (Ctrl+C), the
                    // token is tripped and this lets the stop through.
                }
            }
        }

        bool ISendHost.DescribesMessages => _describeMessages;

        bool ISendHost.ShouldProcess(string? description, string? question) =>
            description is null ? ShouldProcess("mail message", "Send") : ShouldProcess(description, question, "Send-CompositeMail");

        IReadOnlyList<string> ISendHost.ResolveProviderPath(string path)
        {
            var files = GetResolvedProviderPathFromPSPath(path, out var provider);
            return provider.Name == "FileSystem"
                ? files
                : throw new NotSupportedException($"it belongs to the {provider.Name} provider, not to the file system");
        }

        PSObject? ISendHost.GetItem(string path)
        {
            try
            {
                var items = InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: true);
                return items.Count > 0 ? items[0] : null;
            }
            catch (ItemNotFoundException)
            {
                return null;
            }
        }

        /// <summary>The message parameters as they are now bound: the command line's, and the current row's.</summary>
        private GivenMessage GivenMessage() => new GivenMessage
        {
            Spec = new MessageSpec
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
                Priority = Priority,
                DeliveryNotification = DeliveryNotificationOption,
                Encoding = Encoding,
                Headers = Headers,
                MessageId = MessageId,
            },
            Attachments = Attachments,
            InlineAttachments = InlineAttachments,
            SigningCertificate = SigningCertificate,
            SigningCertificatePath = SigningCertificatePath,
            SigningCertificatePassword = SigningCertificatePassword,
            SigningCertificateThumbprint = SigningCertificateThumbprint,
            EncryptionCertificate = EncryptionCertificate,
            EncryptionCertificatePath = EncryptionCertificatePath,
        };
    }
}
