using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Management.Automation;
using PSCompositeMail.Messages;
using PSCompositeMail.Sending;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// What is piped in besides backends and spool items: files (FileInfo objects, or their paths as text, as
    /// Send-MailMessage takes them) and rows (objects whose properties name message parameters).
    /// </summary>
    public sealed partial class SendCompositeMailCommand
    {
        /// <summary>
        /// Whatever comes down the pipeline, as it came: paths given as text become attachments as with Send-MailMessage,
        /// and a row is checked for properties PowerShell could not bind (<see cref="PipedRow"/>).
        /// </summary>
        [Parameter(ParameterSetName = MessageSet, ValueFromPipeline = true, DontShow = true)]
        public PipelineInput? InputObject { get; set; }

        /// <summary>The parameters that describe the message itself, known from their parameter set.</summary>
        private static readonly string[] MessageParameters = typeof(SendCompositeMailCommand).GetProperties()
            .Where(property => property.Name != nameof(Path))
            .Where(property =>
            {
                var sets = property.GetCustomAttributes(typeof(ParameterAttribute), false).Cast<ParameterAttribute>().ToList();
                return sets.Count > 0 && sets.All(set => set.ParameterSetName == MessageSet);
            })
            .Select(property => property.Name)
            .ToArray();

        /// <summary>The parameters a pipeline row sets through a property of their name (or alias).</summary>
        private static readonly RowParameter[] RowParameters = typeof(SendCompositeMailCommand).GetProperties()
            .Where(property => property.GetCustomAttributes(typeof(ParameterAttribute), false).Cast<ParameterAttribute>()
                .Any(set => set.ParameterSetName == MessageSet && set.ValueFromPipelineByPropertyName))
            .Select(property => new RowParameter(
                property.Name,
                property.PropertyType,
                property.GetCustomAttributes(typeof(AliasAttribute), false).Cast<AliasAttribute>().SelectMany(alias => alias.AliasNames)))
            .ToArray();

        /// <summary>The parameters that make an input a row: all but -Path, whose aliases (FullName) are common column names.</summary>
        private static readonly IReadOnlyDictionary<string, RowParameter> MessageRowParameters = PipedRow.ByName(RowParameters.Where(p => p.Name != nameof(Path)));

        private static readonly IReadOnlyDictionary<string, RowParameter> RowParametersByName = PipedRow.ByName(RowParameters);

        /// <summary>The properties a pipeline row may set, kept as the command line gave them (see <see cref="RestoreCommandLineMessage"/>).</summary>
        private static readonly PropertyInfo[] CommandLineMessage = MessageParameters.Select(name => typeof(SendCompositeMailCommand).GetProperty(name)!).ToArray();

        private IReadOnlyList<(PropertyInfo Property, object? Value)> _commandLineMessage = Array.Empty<(PropertyInfo, object?)>();

        /// <summary>
        /// What a piped input means when it is not a backend or a spool item resent as it is: a row (an object with a
        /// property naming a message parameter, or any input when a delay-bind script block asks for one), or files
        /// (see <see cref="PipedRow.FilePath"/>). A row with a property PowerShell could not bind, or an input that is
        /// neither, is refused here; a good row is left to be sent. Decided from the input itself: $PSBoundParameters
        /// keeps what an earlier input bound.
        /// </summary>
        /// <returns>True when the input was taken here.</returns>
        private bool TookPipedInput()
        {
            var input = PSObject.AsPSObject(InputObject!.Value);
            MessageValidationException? problem;
            if (input.BaseObject is MailSpoolItem item)
            {
                problem = PipedRow.SpoolItemWithMessageParameters(item, _messageParametersGiven);
            }
            else if (_delayBoundParameters.Count > 0 || PipedRow.IsRow(input, MessageRowParameters))
            {
                // A row's FullName or Path column (a person's name, a report's location) is not a file to send.
                problem = PipedRow.Problem(input, RowParametersByName, _commandLineParameters);
            }
            else if (PipedRow.FilePath(input) is { } path)
            {
                problem = path.Trim().Length == 0 ? PipedRow.BlankPath(input.BaseObject) : null;
                if (problem is null)
                {
                    TakePipedFiles(new[] { path });
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

            WhileSending(() => _sender!.Refuse(problem));
            return true;
        }

        /// <summary>
        /// The message parameters as the command line gives them, for the one message sent after the last input
        /// (with piped backends or files): PowerShell leaves the last input's values bound.
        /// </summary>
        private void RestoreCommandLineMessage()
        {
            foreach (var (property, value) in _commandLineMessage)
            {
                property.SetValue(this, value);
            }
        }

        /// <summary>Files piped in: attachments of the command line's message, or .eml messages (<see cref="PipedFiles"/>).</summary>
        private void TakePipedFiles(string[] paths)
        {
            switch (PipedFiles.UseFor(_messageParametersGiven))
            {
                case PipedFileUse.Attachment:
                    _pipedAttachments.AddRange(paths);
                    break;
                case PipedFileUse.Message:
                    WhileSending(() => _sender!.SendFiles(paths, piped: true));
                    break;
                default:
                    ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(
                        new PSArgumentException(PipedFiles.AmbiguityText(_messageParametersGiven)),
                        "AmbiguousPipedFiles",
                        ErrorCategory.InvalidArgument,
                        paths)));
                    break;
            }
        }
    }
}
