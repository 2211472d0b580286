using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using System.Text;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>Sends each message through every given backend under a delivery policy.</summary>
    [Cmdlet(VerbsCommunications.Send, "CompositeMail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = MessageSet)]
    [OutputType(typeof(SendResult))]
    public sealed class SendCompositeMailCommand : CancellableCmdlet
    {
        private const string MessageSet = "Message";
        private const string PathSet = "Path";
        private const string SpoolSet = "Spool";

        private readonly List<MailBackend> _pipelineBackends = new List<MailBackend>();
        private readonly Stopwatch _clock = new Stopwatch();
        private TimeSpan _lastProgress;
        private int _handled;
        private bool _progressShown;
        private readonly Dictionary<string, MailSpool> _spools = new Dictionary<string, MailSpool>(StringComparer.Ordinal);
        private DeliveryContext? _context;
        private UndeliveredMessages? _undelivered;
        private CompositeBackend? _root;
        private DeliveryPipeline? _pipeline;
        private string? _plan;
        private bool _describeMessages;
        private bool _backendFromCommandLine;

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

        [Parameter(ParameterSetName = MessageSet, Position = 2, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string? Body { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("BAH")]
        public SwitchParameter BodyAsHtml { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public string? HtmlBody { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? Attachments { get; set; }

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        public MailPriority Priority { get; set; } = MailPriority.Normal;

        [Parameter(ParameterSetName = MessageSet, ValueFromPipelineByPropertyName = true)]
        [Alias("DNO")]
        public DeliveryNotificationOptions DeliveryNotificationOption { get; set; } = DeliveryNotificationOptions.None;

        [Parameter(ParameterSetName = MessageSet)]
        [Alias("BE")]
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

        /// <summary>.eml files to send as they are (Get-ChildItem *.eml pipes them in).</summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
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
            _context = new DeliveryContext(CancellationToken) { VerboseEnabled = VerboseRequested, DebugEnabled = DebugRequested };
            _describeMessages = _context.VerboseEnabled || ConfirmationPossible;
            var spool = SpoolDirectory is null ? null : new MailSpool(GetUnresolvedProviderPathFromPSPath(SpoolDirectory));
            _undelivered = new UndeliveredMessages(spool, Policy.ToString(), MaxAttempts);

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

            SendCurrentInput();
        }

        protected override void EndProcessing()
        {
            if (_pipelineBackends.Count > 0)
            {
                _root = new CompositeBackend("Send-CompositeMail", _pipelineBackends, Policy);
                SendCurrentInput();
            }

            if (_pipeline is not null)
            {
                WhileDelivering(() => _pipeline.Finish());
            }

            if (_progressShown)
            {
                WriteProgress(new ProgressRecord(0, "Send-CompositeMail", "Done") { RecordType = ProgressRecordType.Completed });
            }

            ReleaseResources();
        }

        protected override void ReleaseResources()
        {
            _pipeline?.Dispose();
            _pipeline = null;
            _context?.Dispose();
            _context = null;
        }

        private void SendCurrentInput()
        {
            if (ParameterSetName == SpoolSet)
            {
                foreach (var item in SpoolItem)
                {
                    if (!_spools.TryGetValue(item.SpoolPath, out var spool))
                    {
                        _spools[item.SpoolPath] = spool = new MailSpool(item.SpoolPath);
                    }

                    var claim = spool.TryClaim(item);
                    if (claim is null)
                    {
                        WriteVerbose($"Spool item {item.Id} was not resent: another run has it, or it is no longer in {item.SpoolPath}.");
                        continue;
                    }

                    Send(claim.Load, claim);
                }
            }
            else if (ParameterSetName == PathSet)
            {
                foreach (var path in Path)
                {
                    IReadOnlyList<string> files;
                    try
                    {
                        files = ResolvePaths(new[] { path }, nameof(Path));
                    }
                    catch (MessageValidationException ex)
                    {
                        WriteInvalidMessage(ex);
                        continue;
                    }

                    foreach (var file in files)
                    {
                        Send(() => MailEngine.Instance.Load(file));
                    }
                }
            }
            else
            {
                Send(() => MailEngine.Instance.Build(DescribeMessage()));
            }
        }

        private void Send(Func<IOutgoingMessage> build, SpoolClaim? claim = null)
        {
            IOutgoingMessage message;
            try
            {
                message = build();
            }
            catch (MessageValidationException ex)
            {
                WriteInvalidMessage(ex);
                return;
            }
            catch (DamagedSpoolItemException ex)
            {
                // The claim has set the item aside: an error for that item only, the drain goes on.
                WriteError(new ErrorRecord(ex, "DamagedSpoolItem", ErrorCategory.InvalidData, ex.Item));
                return;
            }

            if (claim is not null && !IncludeDeliveredBackends)
            {
                _context!.EarlierDeliveries.Remember(message, claim.Metadata.DeliveredBackends);
            }

            if (!ShouldSend(message))
            {
                message.Dispose();
                claim?.Dispose();
                return;
            }

            _pipeline ??= new DeliveryPipeline(_root!, _context!, ThrottleLimit);
            WhileDelivering(() => _pipeline.Submit(message, claim));
        }

        /// <summary>Describes the message and each backend only when someone will read it (-WhatIf, -Confirm, -Verbose).</summary>
        private bool ShouldSend(IOutgoingMessage message)
        {
            if (!_describeMessages)
            {
                return ShouldProcess("mail message", "Send");
            }

            var target = $"'{message.Subject}' from {message.SenderAddress} to {string.Join(", ", message.RecipientAddresses)}";
            _plan ??= string.Join("; ", _root!.Backends.Select(b => $"{b.Name} ({b.Kind}: {b.Description})"));
            return ShouldProcess($"Send {target} through {_plan}.", $"Send {target}?", "Send-CompositeMail");
        }

        /// <summary>
        /// Reports what the pipeline finished. When the pipeline is stopped, what was handed over but not
        /// reported is kept: a claimed spool item goes back, any other message not delivered goes to the spool.
        /// </summary>
        private void WhileDelivering(Func<IReadOnlyList<DeliveryPipeline.Job>> step)
        {
            IReadOnlyList<DeliveryPipeline.Job> finished;
            try
            {
                finished = step();
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                foreach (var job in _pipeline!.Abandon())
                {
                    _undelivered!.KeepUnfinished(job.Message, job.Outcome, job.State as SpoolClaim, _root!.Backends.Select(b => b.Name));
                    job.Message.Dispose();
                }

                throw new PipelineStoppedException();
            }

            foreach (var job in finished)
            {
                var claim = job.State as SpoolClaim;
                try
                {
                    StreamWriting.Drain(this, _context!);
                    Report(job.Message, job.Outcome!, claim);
                }
                finally
                {
                    claim?.Dispose();
                    job.Message.Dispose();
                }
            }

            StreamWriting.Drain(this, _context!);
        }

        /// <summary>Writes the result; a message not delivered is an error, which says what became of it.</summary>
        private void Report(IOutgoingMessage message, BackendResult outcome, SpoolClaim? claim)
        {
            var settlement = _undelivered!.Settle(message, outcome, claim);
            var result = new SendResult(message.MessageId, message.Subject, message.To, Policy, outcome.Succeeded, settlement.Results) { SpoolPath = settlement.SpoolPath };
            WriteObject(result);
            ReportProgress();
            if (outcome.Succeeded)
            {
                return;
            }

            var failure = new MailDeliveryException(
                $"'{message.Subject}' <{message.MessageId}> was not delivered (policy {Policy}): {outcome.Error}{settlement.Fate}",
                outcome.FailedLeaves());
            WriteError(new ErrorRecord(failure, "MessageNotDelivered", MailEngine.Instance.CategoryOf(failure.RootCause), result));
        }

        private void WriteInvalidMessage(MessageValidationException ex) =>
            WriteError(new ErrorRecord(ex, "InvalidMessage", MailEngine.Instance.CategoryOf(ex), ex.BadValue));

        /// <summary>Long batches show how far they got and how fast; short ones never flash a progress bar.</summary>
        private void ReportProgress()
        {
            _handled++;
            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            var now = _clock.Elapsed;
            if (now < TimeSpan.FromSeconds(1) || now - _lastProgress < TimeSpan.FromMilliseconds(500))
            {
                return;
            }

            _lastProgress = now;
            _progressShown = true;
            WriteProgress(new ProgressRecord(0, "Send-CompositeMail", $"{_handled} message(s) handled, {_handled / now.TotalSeconds:0.#} per second"));
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
            Attachments = ResolvePaths(Attachments, nameof(Attachments)),
            InlineAttachments = ResolveInlineAttachments(),
            Priority = Priority,
            DeliveryNotification = DeliveryNotificationOption,
            Encoding = Encoding,
            Headers = Headers,
            MessageId = MessageId,
        };

        private IReadOnlyList<KeyValuePair<string, string>>? ResolveInlineAttachments()
        {
            if (InlineAttachments is null)
            {
                return null;
            }

            var resolved = new List<KeyValuePair<string, string>>();
            foreach (DictionaryEntry entry in InlineAttachments)
            {
                var contentId = entry.Key?.ToString() ?? string.Empty;
                HeaderValueGuard.RejectLineBreaks(contentId, nameof(InlineAttachments));
                var path = entry.Value?.ToString() ?? string.Empty;
                var files = ResolvePaths(new[] { path }, nameof(InlineAttachments));
                if (files.Count != 1)
                {
                    throw new MessageValidationException($"The inline attachment '{contentId}' must name exactly one file; '{path}' matches {files.Count}.", nameof(InlineAttachments), path);
                }

                resolved.Add(new KeyValuePair<string, string>(contentId, files[0]));
            }

            return resolved;
        }

        /// <summary>Resolves PowerShell paths (wildcards, PSDrives, relative paths) to files; none found is an error for the message.</summary>
        private IReadOnlyList<string> ResolvePaths(IEnumerable<string>? paths, string parameter)
        {
            var resolved = new List<string>();
            // An empty CSV cell means no file, not the current folder.
            foreach (var path in (paths ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)))
            {
                HeaderValueGuard.RejectLineBreaks(path, parameter);
                Collection<string> matches;
                try
                {
                    matches = GetResolvedProviderPathFromPSPath(path, out _);
                }
                catch (ItemNotFoundException ex)
                {
                    throw new MessageValidationException($"The file '{path}' given to -{parameter} was not found.", parameter, path, MessageProblem.NotFound, ex);
                }

                if (matches.Count == 0)
                {
                    throw new MessageValidationException($"No file matches '{path}' given to -{parameter}.", parameter, path, MessageProblem.NotFound);
                }

                resolved.AddRange(matches);
            }

            return resolved;
        }
    }
}
