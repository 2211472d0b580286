using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Reports;
using PSCompositeMail.Results;
using PSCompositeMail.Sending;
using PSCompositeMail.Smtp;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Sends each message through every given backend under a delivery policy. The cmdlet binds parameters and
    /// writes streams; <see cref="MailSender"/> does the work. The file is longer than most because Send-MailMessage's
    /// parameters (and the three ways to give a message) are all declared here; the Send-MailMessage form's own SMTP
    /// parameters and choices are in SendCompositeMailCommand.SendMailMessageForm.cs, S/MIME in .Smime.cs, what is
    /// piped in (files, rows) in .PipedInput.cs.
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "CompositeMail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = MessageSet)]
    [OutputType(typeof(SendResult))]
    public sealed partial class SendCompositeMailCommand : CancellableCmdlet, ISendHost
    {
        private const string MessageSet = "Message";
        private const string PathSet = "Path";
        private const string SpoolSet = "Spool";

        private readonly List<MailBackend> _pipelineBackends = new List<MailBackend>();
        private readonly BatchProgress _progress = new BatchProgress();
        private DeliveryContext? _context;
        private MailSender? _sender;
        private readonly List<string> _pipedAttachments = new List<string>();
        private bool _describeMessages;
        private SendReport? _writing;
        private bool _backendsPending;
        private bool _smtpShortcutUsed;
        private bool _writeResults = true;
        private IReadOnlyList<string> _messageParametersGiven = Array.Empty<string>();
        private bool _pathOnCommandLine;
        private HashSet<string> _commandLineParameters = new HashSet<string>();
        private IReadOnlyList<string> _delayBoundParameters = Array.Empty<string>();
        private bool _inputArrived;

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

        /// <summary>Resending from a spool: send through every backend, also those that took the message on an earlier attempt (skipped otherwise).</summary>
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

        /// <summary>Without -Backend: write the results, which the Send-MailMessage form otherwise keeps to itself as Send-MailMessage does.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            _context = new DeliveryContext(CancellationToken) { VerboseEnabled = VerboseRequested, DebugEnabled = DebugRequested };
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

            var bound = MyInvocation.BoundParameters;
            _commandLineParameters = new HashSet<string>(bound.Keys, StringComparer.OrdinalIgnoreCase);

            // A delay-bind script block (-Subject { "Report for $($_.Name)" }) makes a row of any input. PowerShell 7
            // holds it here in an internal wrapper (DelayedScriptBlockArgument), Windows PowerShell as the script block.
            _delayBoundParameters = RowParameters
                .Where(p => p.Type != typeof(ScriptBlock) && bound.TryGetValue(p.Name, out var given) && (given is ScriptBlock || given?.GetType().Name == "DelayedScriptBlockArgument"))
                .Select(p => p.Name)
                .ToList();
            _messageParametersGiven = MessageParameters.Where(bound.ContainsKey).ToList();
            _commandLineMessage = CommandLineMessage.Select(property => (property, (object?)property.GetValue(this))).ToList();
            _pathOnCommandLine = bound.ContainsKey(nameof(Path));
            if (_pathOnCommandLine && _messageParametersGiven.Count > 0)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(
                    new PSArgumentException($"-Path names .eml messages to send as they are, which contradicts -{string.Join(", -", _messageParametersGiven)}. To attach files, use -Attachments."),
                    "PathWithMessageParameters",
                    ErrorCategory.InvalidArgument,
                    null)));
            }

            if (bound.ContainsKey(nameof(Backend)))
            {
                RefuseSmtpParametersWithBackend();
                _sender.UseBackends(Backend!);
            }
            else if (SmtpServer is not null || !MyInvocation.ExpectingInput)
            {
                UseSmtpShortcut();
            }
            else
            {
                // Piped backends, or messages for $PSEmailServer: the first input tells.
                _backendsPending = true;
            }
        }

        protected override void ProcessRecord()
        {
            _inputArrived = true;
            // Read from the value, which PowerShell resets for each input: $PSBoundParameters keeps an earlier input's.
            var backendPiped = !_commandLineParameters.Contains(nameof(Backend)) && Backend is not null;
            if (_backendsPending && !backendPiped)
            {
                if (_pipelineBackends.Count > 0)
                {
                    WhileSending(() => _sender!.Refuse(PipedRow.AfterBackends(InputObject?.Value)));
                    return;
                }

                // The first input is a message: it goes to $PSEmailServer, as Send-MailMessage sends it.
                _backendsPending = false;
                UseSmtpShortcut();
            }

            if (_smtpShortcutUsed && backendPiped)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(
                    new PSArgumentException("Backends were piped into a call that sends through -SmtpServer (or $PSEmailServer): give either, not both."),
                    "BackendWithSmtpParameters",
                    ErrorCategory.InvalidArgument,
                    Backend)));
            }

            if (_backendsPending)
            {
                // Backends piped in describe one message given by parameters: it is sent once they have all arrived.
                RefuseSmtpParametersWithBackend();
                _pipelineBackends.AddRange(Backend!);
                return;
            }

            if (_pathOnCommandLine && MyInvocation.ExpectingInput)
            {
                // -Path names the messages, sent once after the input (EndProcessing); an input has no part in them.
                WhileSending(() => _sender!.Refuse(PipedRow.WithPath(InputObject?.Value ?? SpoolItem.FirstOrDefault())));
                return;
            }

            if (ParameterSetName == MessageSet && !_pathOnCommandLine && InputObject is not null && TookPipedInput())
            {
                return;
            }

            WhileSending(SendCurrentInput);
        }

        protected override void EndProcessing()
        {
            // -Path's messages go once, whatever was piped; and when nothing came down the pipeline (Get-ChildItem *.log
            // matched no file), a command line naming a recipient is a whole message, sent as Send-MailMessage sends it.
            var pathOnce = _pathOnCommandLine && MyInvocation.ExpectingInput && _pipelineBackends.Count == 0;
            var commandLineAlone = MyInvocation.ExpectingInput && !_inputArrived && _delayBoundParameters.Count == 0 &&
                PipedFiles.UseFor(_messageParametersGiven) == PipedFileUse.Attachment;
            if (pathOnce || commandLineAlone)
            {
                if (_backendsPending)
                {
                    _backendsPending = false;
                    UseSmtpShortcut();
                }

                WhileSending(SendCurrentInput);
            }

            if (_pipelineBackends.Count > 0 && _delayBoundParameters.Count > 0)
            {
                // A delay-bind script block takes its value from each input, and piped backends bring none.
                WhileSending(() => _sender!.Refuse(PipedRow.DelayBindWithoutRows(_delayBoundParameters)));
            }
            else if (_pipelineBackends.Count > 0 || _pipedAttachments.Count > 0)
            {
                // The one message the command line describes. The last input's values are still bound (PowerShell
                // resets them only before the next input), so the command line's own are put back first.
                RestoreCommandLineMessage();
                if (_pipelineBackends.Count > 0)
                {
                    _sender!.UseBackends(_pipelineBackends);
                }

                // Send-MailMessage's way: every file piped in is an attachment of the one message, sent at the end.
                WhileSending(_pathOnCommandLine ? () => _sender!.SendFiles(Path) : () => _sender!.Send(() => DescribeMessage(_pipedAttachments)));
            }

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

        private void SendCurrentInput()
        {
            switch (ParameterSetName)
            {
                case SpoolSet:
                    _sender!.Resend(SpoolItem);
                    break;
                case PathSet:
                    _sender!.SendFiles(Path);
                    break;
                case MessageSet when _pathOnCommandLine:
                    // -Path alone also fits the message set, PowerShell's default when both do: it still names messages.
                    _sender!.SendFiles(Path);
                    break;
                default:
                    _sender!.Send(() => DescribeMessage(Array.Empty<string>()));
                    break;
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
                    if (_writeResults)
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
                else if (_smtpShortcutUsed && report.Result is { } delivered && SendReport.RefusedRecipients(delivered) is { } refused)
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
                catch (Exception ex) when (ex is ActionPreferenceStopException or PipelineStoppedException && !CancellationToken.IsCancellationRequested)
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

        /// <param name="pipedAttachments">Files piped in: only the command line's one message carries them.</param>
        private MessageSpec DescribeMessage(IEnumerable<string> pipedAttachments)
        {
            var report = MailBodyCarrier.Find(Body);
            if (report is not null && HtmlBody is not null)
            {
                throw new MessageValidationException(
                    "-Body is a report from ConvertTo-MailHtml, which brings its own HTML: -HtmlBody contradicts it. Give one of them.", nameof(HtmlBody), null);
            }

            return new MessageSpec
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
                HtmlBody = report?.Html ?? HtmlBody,
                Report = report,
                Attachments = _sender!.Paths.Resolve((Attachments ?? Array.Empty<string>()).Concat(pipedAttachments), nameof(Attachments)),
                InlineAttachments = _sender.Paths.ResolveInline(InlineAttachments, nameof(InlineAttachments)),
                Priority = Priority,
                DeliveryNotification = DeliveryNotificationOption,
                Encoding = Encoding,
                Headers = Headers,
                MessageId = MessageId,
                Smime = DescribeSmime(),
            };
        }
    }
}
