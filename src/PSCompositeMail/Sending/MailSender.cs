using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// One Send-CompositeMail invocation, without PowerShell: each input becomes a message (built and validated
    /// once), goes to the delivery pipeline, and is settled once its outcome is known (spooled when not delivered,
    /// a resent item completed or given back) into a <see cref="SendReport"/> the cmdlet writes. Settling happens
    /// before anything is written, so a write that ends the pipeline loses nothing; and however the pipeline ends,
    /// <see cref="End"/> settles every message taken and gives back every spool item claimed.
    /// </summary>
    internal sealed class MailSender : IDisposable
    {
        private const string RootName = "Send-CompositeMail";
        private readonly DeliveryContext _context;
        private readonly ISendHost _host;
        private readonly SendSettings _settings;
        private readonly UndeliveredMessages _undelivered;
        private readonly Dictionary<string, MailSpool> _resentSpools = new Dictionary<string, MailSpool>(StringComparer.Ordinal);
        private readonly Queue<SendReport> _reports = new Queue<SendReport>();
        private CompositeBackend? _root;
        private IReadOnlyList<MessageLog> _logs;
        private DeliveryPipeline<SpoolClaim?>? _pipeline;
        private string? _plan;
        private bool _ended;

        public MailSender(DeliveryContext context, ISendHost host, SendSettings settings)
        {
            _context = context;
            _host = host;
            _settings = settings;
            _undelivered = new UndeliveredMessages(settings.Spool, settings.Policy.ToString(), settings.MaxAttempts);
            Paths = new MessagePaths(host);
            _logs = settings.Logs;
        }

        /// <summary>Resolves the files a message names; used while describing one.</summary>
        public MessagePaths Paths { get; }

        /// <summary>
        /// The engine the cmdlet handed down with the pipeline's context: it builds and loads messages, and knows its
        /// libraries' errors.
        /// </summary>
        private ISendEngine Engine => _context.Engine<ISendEngine>();

        /// <summary>The backends to send through; without -LogPath, the message logs their profile names are used.</summary>
        public void UseBackends(IEnumerable<MailBackend> backends)
        {
            _root = new CompositeBackend(RootName, backends, _settings.Policy);
            _undelivered.NamesakeDescriptions = _root.NamesakeDescriptions();
            if (_settings.Logs.Count == 0)
            {
                _logs = _root.Backends.SelectMany(ProfileLogs).Distinct(StringComparer.Ordinal).Select(path => new MessageLog(path)).ToArray();
            }
        }

        /// <summary>The policy that decided: that of the one composite given (a Failover), else -Policy over the backends given.</summary>
        private DeliveryPolicy DecidingPolicy => _root is { Backends.Count: 1 } root && root.Backends[0] is CompositeBackend only ? only.Policy
            : _settings.Policy;

        /// <summary>A backend's profile log, or those of its members when a composite made with New-MailBackend wraps them.</summary>
        private static IEnumerable<string> ProfileLogs(MailBackend backend) =>
            backend.LogPath is { } path ? new[] { path }
            : backend is CompositeBackend composite ? composite.Backends.SelectMany(ProfileLogs)
            : Enumerable.Empty<string>();

        /// <summary>A message described by parameters or a pipeline row.</summary>
        public void Send(Func<MessageSpec> describe)
        {
            MessageSpec? described = null;
            Send(() => Engine.Build(described = describe()), claim: null, () => described);
        }

        /// <summary>.eml files, sent as they are. Piped files must be .eml: any other file was meant as an attachment.</summary>
        public void SendFiles(IEnumerable<string> paths, bool piped = false)
        {
            foreach (var path in paths)
            {
                IReadOnlyList<string> files;
                try
                {
                    files = Paths.Resolve(new[] { path }, "Path");
                }
                catch (MessageValidationException ex)
                {
                    Refuse(ex);
                    continue;
                }

                foreach (var file in files)
                {
                    if (piped && !PipedFiles.IsMessageFile(file))
                    {
                        Refuse(new MessageValidationException(
                            $"'{file}' was piped in without message parameters, so it would be sent as a message, but it is not an .eml file. " +
                            "To attach piped files to one message, give its recipient (-To, -Cc or -Bcc), as with Send-MailMessage.",
                            "Path",
                            file));
                        continue;
                    }

                    Send(() => Engine.Load(file), claim: null);
                }
            }
        }

        /// <summary>Items from Get-MailSpool: each is claimed first, so two runs never send one twice.</summary>
        public void Resend(IEnumerable<MailSpoolItem> items)
        {
            foreach (var item in items)
            {
                if (!_resentSpools.TryGetValue(item.SpoolPath, out var spool))
                {
                    _resentSpools[item.SpoolPath] = spool = new MailSpool(item.SpoolPath);
                }

                SpoolClaim? claim;
                try
                {
                    claim = spool.TryClaim(item);
                }
                catch (SpoolItemNotResentException ex)
                {
                    var category = ex.InnerException is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError;
                    NotResent(ex, category, MessageOutcome.Failed);
                    continue;
                }

                if (claim is null)
                {
                    _reports.Enqueue(SendReport.Note(
                        $"Spool item {item.Id} was not resent: another run has it, or it is no longer in {item.SpoolPath}."));
                    continue;
                }

                Send(() => claim.Load(Engine), claim);
            }
        }

        /// <summary>The input is over: waits for every message on its way.</summary>
        public void Finish()
        {
            if (_pipeline is not null)
            {
                SettleAll(_pipeline.Finish());
            }
        }

        /// <summary>Reports settled and not yet written, oldest first; each leaves the queue as it is taken.</summary>
        public IEnumerable<SendReport> TakeReports()
        {
            while (_reports.Count > 0)
            {
                yield return _reports.Dequeue();
            }
        }

        /// <summary>
        /// The pipeline ends, maybe before its input did (stopped, -ErrorAction Stop, a later command that threw or
        /// had enough): messages not started are withdrawn, those on their way finish (or are cut off when stopping),
        /// and each is settled; what was not delivered is in the spool (when there is one) and in the reports.
        /// </summary>
        public void End()
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            if (_pipeline is not null)
            {
                SettleAll(_pipeline.End());
            }
        }

        public void Dispose()
        {
            End();
            _pipeline?.Dispose();
            _pipeline = null;
        }

        /// <param name="described">What the input said, as far as it was read: -WhatIf tells about its body, and the log names a refused message by
        /// it.</param>
        private void Send(Func<IOutgoingMessage> build, SpoolClaim? claim, Func<MessageSpec?>? described = null)
        {
            IOutgoingMessage message;
            try
            {
                message = build();
            }
            catch (MessageValidationException ex)
            {
                claim?.Dispose();
                Refuse(ex, described?.Invoke());
                return;
            }
            catch (DamagedSpoolItemException ex)
            {
                // The claim has set the item aside (or, when it could not, given it back): an error for that item only.
                claim?.Dispose();
                _reports.Enqueue(SendReport.SetAside(ex));
                Log(new MessageLogEntry
                {
                    MessageId = ex.Item.MessageId,
                    Subject = ex.Item.Subject,
                    To = ex.Item.To,
                    Outcome = MessageOutcome.Failed,
                    Reason = ex.Message,
                    DamagedFile = ex.File,
                    Resend = true,
                });
                return;
            }
            catch
            {
                claim?.Dispose();
                throw;
            }

            claim?.ReadLedgerFor(_root!);
            if (claim is not null && !_settings.IncludeDeliveredBackends)
            {
                // A resend through none of the backends the item is owed to would deliver nothing it still needs.
                var given = _root!.Descendants().Select(_root.LedgerName).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
                if (claim.OwedBackends.Count > 0 && DeliveredBackendNames.Except(claim.OwedBackends, given).Length == claim.OwedBackends.Count)
                {
                    var problem = SpoolItemNotResentException.NoOwedBackend(claim.Item, claim.OwedBackends, given);
                    NotResent(problem, ErrorCategory.InvalidArgument, MessageOutcome.Refused);
                    message.Dispose();
                    claim.Dispose();
                    return;
                }

                var tookIt = DeliveredBackendNames.Among(claim.Metadata.DeliveredBackends, _root).Select(_root.LedgerName);
                _context.EarlierDeliveries.Remember(message, tookIt);
            }

            var send = false;
            try
            {
                send = ShouldSend(message, described?.Invoke()?.ReportDescription is { } report ? $" ({report})" : null);
            }
            finally
            {
                if (!send)
                {
                    message.Dispose();
                    claim?.Dispose();
                }
            }

            if (send)
            {
                _pipeline ??= new DeliveryPipeline<SpoolClaim?>(_root!, _context, _settings.ThrottleLimit);
                SettleAll(_pipeline.Submit(message, claim));
            }
        }

        /// <summary>Describes the message and each backend only when someone will read it (-WhatIf, -Confirm, -Verbose).</summary>
        private bool ShouldSend(IOutgoingMessage message, string? bodyNote)
        {
            if (!_host.DescribesMessages)
            {
                return _host.ShouldProcess(null, null);
            }

            // Shown by -WhatIf and -Confirm on the terminal: a subject's control characters are shown escaped.
            var target = ControlCharacters.Escape(
                $"'{message.Subject}' from {message.SenderAddress} to {string.Join(", ", message.RecipientAddresses)}{bodyNote}");
            _plan ??= string.Join("; ", _root!.Backends.Select(b => $"{b.Name} ({b.Kind}: {b.Description})"));
            return _host.ShouldProcess($"Send {target} through {_plan}.", $"Send {target}?");
        }

        /// <summary>Invalid input: reported in its turn, and nothing of it is sent.</summary>
        /// <param name="described">The message's parameters, when they were read before the problem showed.</param>
        public void Refuse(MessageValidationException problem, MessageSpec? described = null)
        {
            _reports.Enqueue(SendReport.Refused(problem, ErrorCategories.For(problem, Engine)));
            Log(new MessageLogEntry
            {
                MessageId = described?.MessageId,
                Subject = described?.Subject,
                To = described?.To ?? Array.Empty<string>(),
                Outcome = MessageOutcome.Refused,
                Reason = problem.Message,
            });
        }

        /// <summary>A spool item this call took but did not send: an error, and a log line that says why (it stays where it was).</summary>
        private void NotResent(SpoolItemNotResentException problem, ErrorCategory category, MessageOutcome outcome)
        {
            _reports.Enqueue(SendReport.NotResent(problem, category));
            Log(new MessageLogEntry
            {
                MessageId = problem.Item.MessageId,
                Subject = problem.Item.Subject,
                To = problem.Item.To,
                Outcome = outcome,
                Reason = problem.Message,
                SpoolPath = problem.Item.MessagePath,
                Poisoned = problem.Item.Poisoned,
                Resend = true,
            });
        }

        /// <summary>A line in each message log; a log that cannot be written is a warning, never a lost message.</summary>
        private void Log(MessageLogEntry entry)
        {
            foreach (var log in _logs)
            {
                try
                {
                    log.Write(entry, _context.CancellationToken);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    _context.Warning($"The message log '{log.Path}' could not be written ({ex.Message}): '{entry.Subject}' <{entry.MessageId}> was " +
                        $"{entry.Outcome}.");
                }
            }
        }

        private void SettleAll(IEnumerable<DeliveryPipeline<SpoolClaim?>.Job> jobs)
        {
            foreach (var job in jobs)
            {
                Settle(job);
            }
        }

        /// <summary>The one place a message's fate is decided: delivered, kept in the spool, or reported as neither.</summary>
        private void Settle(DeliveryPipeline<SpoolClaim?>.Job job)
        {
            var message = job.Message;
            var claim = job.State;
            try
            {
                _reports.Enqueue(job.Outcome is { } outcome ? Settled(message, outcome, claim) : Unfinished(message, claim, job.WasStarted));
            }
            finally
            {
                // Whatever happened above, the claim is released (an unsettled one goes back to the spool as it was).
                claim?.Dispose();
                message.Dispose();
            }
        }

        private SendReport Settled(IOutgoingMessage message, BackendResult outcome, SpoolClaim? claim)
        {
            var delivered = DeliveredBackendNames.Of(DeliveredBackendNames.Within(outcome));
            var settlement = _undelivered.Settle(message, outcome, claim, delivered, _settings.IncludeDeliveredBackends);
            // A resend whose policy was met can still owe the message to the backends that failed it before: then the settlement says why.
            var reason = settlement.Delivered ? string.Empty : outcome.Succeeded ? BackendResult.OneLine(settlement.Error!) : outcome.Reason();
            var result = new SendResult(message.MessageId, message.Subject, message.To, _settings.Policy, settlement.Delivered, settlement.Results,
                reason)
            {
                SpoolPath = settlement.SpoolPath,
            };
            Log(new MessageLogEntry
            {
                MessageId = message.MessageId,
                Subject = message.Subject,
                To = message.RecipientAddresses,
                Outcome = settlement.Delivered ? MessageOutcome.Delivered : WaitsIn(settlement),
                Reason = settlement.Poisoned && claim?.Item.Poisoned == false
                    ? $"{reason}; moved to the poison folder after {claim.Metadata.Attempts} attempts"
                    : reason,
                Backends = settlement.Results,
                SpoolPath = settlement.SpoolPath,
                Poisoned = settlement.Poisoned,
                Resend = claim is not null,
            });
            if (settlement.Delivered)
            {
                return SendReport.Delivered(result);
            }

            var failure = new MailDeliveryException(
                $"'{ControlCharacters.Escape(message.Subject)}' <{message.MessageId}> was not delivered (policy {DecidingPolicy}): " +
                    $"{reason}{settlement.Fate}",
                outcome.FailedLeaves());
            return SendReport.Undelivered(result, failure, ErrorCategories.For(failure.RootCause, Engine));
        }

        /// <summary>Spooled when it waits for a resend; an item in the poison folder waits for no one and has failed.</summary>
        private static MessageOutcome WaitsIn(Settlement settlement) =>
            settlement.SpoolPath is not null && !settlement.Poisoned ? MessageOutcome.Spooled : MessageOutcome.Failed;

        private SendReport Unfinished(IOutgoingMessage message, SpoolClaim? claim, bool started)
        {
            var reason = _context.CancellationToken.IsCancellationRequested ? "The send was stopped before it finished."
                : started ? "Its delivery broke off with the error that ended the pipeline."
                : "The pipeline ended before it was sent.";
            // Backends that took the message before the end are remembered, so that a resend does not send it through them again.
            var delivered = DeliveredBackendNames.Of(_context.Progress.AnswersFor(message));
            var settlement = _undelivered.KeepUnfinished(message, claim, _root!.Backends.Select(_root.LedgerName), delivered, reason);
            Log(new MessageLogEntry
            {
                MessageId = message.MessageId,
                Subject = message.Subject,
                To = message.RecipientAddresses,
                Outcome = WaitsIn(settlement),
                Reason = reason,
                SpoolPath = settlement.SpoolPath,
                Poisoned = settlement.Poisoned,
                Resend = claim is not null,
            });
            return SendReport.Unfinished(
                $"'{ControlCharacters.Escape(message.Subject)}' <{message.MessageId}> was not delivered: {reason}{settlement.Fate}");
        }
    }
}
