using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// The routing of one Send-CompositeMail call: what the command line and each piped input mean (backends, a file,
    /// a row, a spool item), which backends are used, and when the command line's one message goes. It only decides;
    /// the cmdlet carries out each <see cref="SendDecision"/> in order and writes the streams. The rules are those of
    /// the README ("Files from the pipeline", "Piping backends", the Send-MailMessage form).
    /// </summary>
    internal sealed class SendInvocation
    {
        private readonly SendParameters _parameters;
        private readonly List<MailBackend> _pipelineBackends = new List<MailBackend>();
        private readonly List<string> _pipedAttachments = new List<string>();
        private ICollection<string> _commandLineParameters = Array.Empty<string>();
        private IReadOnlyList<string> _messageParametersGiven = Array.Empty<string>();
        private IReadOnlyList<string> _delayBoundParameters = Array.Empty<string>();
        private IReadOnlyList<string> _commandLinePaths = Array.Empty<string>();
        private GivenMessage _commandLineMessage = new GivenMessage();
        private bool _expectingInput;
        private bool _pathOnCommandLine;
        private bool _passThru;
        private bool _backendsPending;
        private bool _inputArrived;

        public SendInvocation(SendParameters parameters)
        {
            _parameters = parameters;
        }

        /// <summary>Whether the Send-MailMessage form was chosen: then, as there, a recipient refused for good is an error.</summary>
        public bool SmtpShortcutUsed { get; private set; }

        /// <summary>Whether results are written: the Send-MailMessage form keeps them to itself unless -PassThru.</summary>
        public bool WritesResults => !SmtpShortcutUsed || _passThru;

        /// <param name="bound">The parameters the command line bound ($PSBoundParameters before any input).</param>
        /// <param name="expectingInput">Whether the call is in a pipeline that gives it input.</param>
        /// <param name="commandLineMessage">The message parameters as the command line gives them, kept for its one message.</param>
        public IReadOnlyList<SendDecision> Begin(IDictionary<string, object?> bound, bool expectingInput, GivenMessage commandLineMessage)
        {
            _commandLineParameters = new HashSet<string>(bound.Keys, StringComparer.OrdinalIgnoreCase);
            _expectingInput = expectingInput;
            _commandLineMessage = commandLineMessage;
            _passThru = bound.TryGetValue(SendParameters.PassThru, out var passThru) && passThru is SwitchParameter { IsPresent: true };

            // A delay-bind script block (-Subject { "Report for $($_.Name)" }) makes a row of any input. PowerShell 7
            // holds it here in an internal wrapper (DelayedScriptBlockArgument), Windows PowerShell as the script block.
            _delayBoundParameters = _parameters.Row
                .Where(p => p.Type != typeof(ScriptBlock) && bound.TryGetValue(p.Name, out var given) && IsDelayBind(given))
                .Select(p => p.Name)
                .ToList();
            _messageParametersGiven = _parameters.Message.Where(bound.ContainsKey).ToList();
            _pathOnCommandLine = bound.TryGetValue(SendParameters.Path, out var paths);
            _commandLinePaths = paths as string[] ?? Array.Empty<string>();
            if (_pathOnCommandLine && _messageParametersGiven.Count > 0)
            {
                return new[]
                {
                    new SendDecision.Fail(
                        "PathWithMessageParameters",
                        $"-Path names .eml messages to send as they are, which contradicts -{string.Join(", -", _messageParametersGiven)}. To " +
                            "attach files, use -Attachments."),
                };
            }

            if (bound.TryGetValue(SendParameters.Backend, out var backends))
            {
                return SmtpParametersWithBackend() ?? new SendDecision[] { new SendDecision.UseBackends((MailBackend[])backends!) };
            }

            if (bound.ContainsKey(SendParameters.SmtpServer) || !expectingInput)
            {
                return new[] { UseSmtpShortcut() };
            }

            // Piped backends, or messages for $PSEmailServer: the first input tells.
            _backendsPending = true;
            return Array.Empty<SendDecision>();
        }

        /// <summary>One input (or, without pipeline input, the one call of the command line alone).</summary>
        public IReadOnlyList<SendDecision> Input(BoundInput input)
        {
            _inputArrived = true;
            var decisions = new List<SendDecision>();
            var backendPiped = !_commandLineParameters.Contains(SendParameters.Backend) && input.Backends is not null;
            if (_backendsPending && !backendPiped)
            {
                if (_pipelineBackends.Count > 0)
                {
                    decisions.Add(new SendDecision.Refuse(PipedRow.AfterBackends(input.Value)));
                    return decisions;
                }

                // The first input is a message: it goes to $PSEmailServer, as Send-MailMessage sends it.
                _backendsPending = false;
                decisions.Add(UseSmtpShortcut());
            }

            if (SmtpShortcutUsed && backendPiped)
            {
                decisions.Add(new SendDecision.Fail(
                    "BackendWithSmtpParameters",
                    "Backends were piped into a call that sends through -SmtpServer (or $PSEmailServer): give either, not both.",
                    input.Backends));
                return decisions;
            }

            if (_backendsPending)
            {
                // Backends piped in describe one message given by parameters: it is sent once they have all arrived.
                if (SmtpParametersWithBackend() is { } contradiction)
                {
                    return contradiction;
                }

                _pipelineBackends.AddRange(input.Backends!);
                return decisions;
            }

            if (_pathOnCommandLine && _expectingInput)
            {
                // -Path names the messages, sent once after the input (End); an input has no part in them.
                decisions.Add(new SendDecision.Refuse(PipedRow.WithPath(input.Value ?? input.SpoolItems.FirstOrDefault())));
                return decisions;
            }

            var inputAsItCame = input.ParameterSet == SendParameters.MessageSet && !_pathOnCommandLine ? input.Value : null;
            if (inputAsItCame is not null && TookPiped(inputAsItCame, decisions))
            {
                return decisions;
            }

            decisions.Add(Send(input));
            return decisions;
        }

        /// <summary>
        /// The input is over. -Path's messages go once, whatever was piped; when nothing came down the pipeline
        /// (Get-ChildItem *.log matched no file), a command line naming a recipient is a whole message, sent as
        /// Send-MailMessage sends it; and piped backends or files go with the command line's one message.
        /// </summary>
        public IReadOnlyList<SendDecision> End()
        {
            var decisions = new List<SendDecision>();
            var pathOnce = _pathOnCommandLine && _expectingInput && _pipelineBackends.Count == 0;
            var commandLineAlone = _expectingInput && !_inputArrived && _delayBoundParameters.Count == 0 &&
                PipedFiles.UseFor(_messageParametersGiven) == PipedFileUse.Attachment;
            if (pathOnce || commandLineAlone)
            {
                if (_backendsPending)
                {
                    _backendsPending = false;
                    decisions.Add(UseSmtpShortcut());
                }

                decisions.Add(CommandLineMessage(Array.Empty<string>()));
            }

            if (_pipelineBackends.Count > 0 && _delayBoundParameters.Count > 0)
            {
                // A delay-bind script block takes its value from each input, and piped backends bring none.
                decisions.Add(new SendDecision.Refuse(PipedRow.DelayBindWithoutRows(_delayBoundParameters)));
            }
            else if (_pipelineBackends.Count > 0 || _pipedAttachments.Count > 0)
            {
                if (_pipelineBackends.Count > 0)
                {
                    decisions.Add(new SendDecision.UseBackends(_pipelineBackends.ToArray()));
                }

                // Send-MailMessage's way: every file piped in is an attachment of the one message, sent at the end.
                decisions.Add(CommandLineMessage(_pipedAttachments.ToArray()));
            }

            return decisions;
        }

        private static bool IsDelayBind(object? given) => given is ScriptBlock || given?.GetType().Name == "DelayedScriptBlockArgument";

        /// <summary>What the command line itself describes: -Path's messages, or its one message.</summary>
        private SendDecision CommandLineMessage(IReadOnlyList<string> pipedAttachments) => _pathOnCommandLine
            ? new SendDecision.SendFiles(_commandLinePaths, piped: false)
            : new SendDecision.Send(_commandLineMessage, pipedAttachments);

        /// <summary>What the current input sends, by the parameter set it bound.</summary>
        private SendDecision Send(BoundInput input) => input.ParameterSet switch
        {
            SendParameters.SpoolSet => new SendDecision.Resend(input.SpoolItems),
            SendParameters.PathSet => new SendDecision.SendFiles(input.Paths, piped: false),
            // -Path alone also fits the message set, PowerShell's default when both do: it still names messages.
            _ when _pathOnCommandLine => new SendDecision.SendFiles(input.Paths, piped: false),
            _ => new SendDecision.Send(input.Message, Array.Empty<string>()),
        };

        /// <summary>
        /// What a piped input means when it is not a backend or a spool item resent as it is: a row (an object with a
        /// property naming a message parameter, or any input when a delay-bind script block asks for one), or files
        /// (see <see cref="PipedRow.FilePath"/>). A row with a property PowerShell could not bind, or an input that is
        /// neither, is refused here; a good row is left to be sent.
        /// </summary>
        /// <returns>True when the input was taken here (what it needs is in <paramref name="decisions"/>).</returns>
        private bool TookPiped(object value, List<SendDecision> decisions)
        {
            var input = PSObject.AsPSObject(value);
            MessageValidationException? problem;
            if (input.BaseObject is MailSpoolItem item)
            {
                problem = PipedRow.SpoolItemWithMessageParameters(item, _messageParametersGiven);
            }
            else if (PipedRow.Read(input, _parameters.MessageRowByName, _parameters.RowByName, _commandLineParameters,
                anyInputIsRow: _delayBoundParameters.Count > 0) is { IsRow: true } row)
            {
                // A row's FullName or Path column (a person's name, a report's location) is not a file to send.
                problem = row.Problem;
            }
            else if (PipedRow.FilePath(input) is { } path)
            {
                problem = path.Trim().Length == 0 ? PipedRow.BlankPath(input.BaseObject) : null;
                if (problem is null)
                {
                    TakePipedFile(path, decisions);
                    return true;
                }
            }
            else
            {
                problem = PipedRow.Unusable(input);
            }

            if (problem is null)
            {
                return false;
            }

            decisions.Add(new SendDecision.Refuse(problem));
            return true;
        }

        /// <summary>A file piped in: an attachment of the command line's message, or an .eml message (<see cref="PipedFiles"/>).</summary>
        private void TakePipedFile(string path, List<SendDecision> decisions)
        {
            switch (PipedFiles.UseFor(_messageParametersGiven))
            {
                case PipedFileUse.Attachment:
                    _pipedAttachments.Add(path);
                    break;
                case PipedFileUse.Message:
                    decisions.Add(new SendDecision.SendFiles(new[] { path }, piped: true));
                    break;
                default:
                    decisions.Add(new SendDecision.Fail("AmbiguousPipedFiles", PipedFiles.AmbiguityText(_messageParametersGiven), new[] { path }));
                    break;
            }
        }

        private SendDecision UseSmtpShortcut()
        {
            SmtpShortcutUsed = true;
            return new SendDecision.UseSmtpShortcut();
        }

        /// <summary>The Send-MailMessage form's SMTP parameters beside backends: each would build an SMTP backend of its own.</summary>
        private SendDecision[]? SmtpParametersWithBackend()
        {
            var contradicting = SmtpShortcut.ParametersIn(_commandLineParameters);
            return contradicting.Count == 0 ? null : new SendDecision[]
            {
                new SendDecision.Fail(
                    "BackendWithSmtpParameters",
                    $"-{string.Join(", -", contradicting)} {(contradicting.Count == 1 ? "builds" : "build")} an SMTP backend of their own, which " +
                    "contradicts the backends given with -Backend. " +
                    "Give either, or make the SMTP backend with New-MailBackend -Smtp (it takes these parameters) and add it to -Backend."),
            };
        }
    }
}
