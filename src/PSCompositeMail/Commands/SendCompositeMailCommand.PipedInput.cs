using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Messages;
using PSCompositeMail.Sending;

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

        /// <summary>The parameters a pipeline row sets through a property of their name (or alias).</summary>
        private static readonly RowParameter[] RowParameters = typeof(SendCompositeMailCommand).GetProperties()
            .Where(property => property.GetCustomAttributes(typeof(ParameterAttribute), false).Cast<ParameterAttribute>()
                .Any(set => set.ParameterSetName == MessageSet && set.ValueFromPipelineByPropertyName))
            .Select(property => new RowParameter(
                property.Name,
                property.PropertyType,
                property.GetCustomAttributes(typeof(AliasAttribute), false).Cast<AliasAttribute>().SelectMany(alias => alias.AliasNames)))
            .ToArray();

        private static readonly RowParameter[] PathRowParameter = RowParameters.Where(p => p.Name == nameof(Path)).ToArray();

        /// <summary>The parameters that make an input a row: all but -Path, whose aliases (FullName) are common column names.</summary>
        private static readonly RowParameter[] MessageRowParameters = RowParameters.Except(PathRowParameter).ToArray();

        /// <summary>
        /// What a piped input means when it is not a backend or a spool item: files (FileInfo, paths as text as
        /// Send-MailMessage takes them, or an object with only a path property such as Resolve-Path's), or a row. A row
        /// with a property PowerShell could not bind, or an input nothing binds to, is refused here; a good row is left
        /// to be sent. Decided from the input itself: $PSBoundParameters keeps what an earlier input bound.
        /// </summary>
        /// <returns>True when the input was taken here.</returns>
        private bool TookPipedInput()
        {
            var input = PSObject.AsPSObject(InputObject!.Value);
            switch (input.BaseObject)
            {
                case string path:
                    TakePipedFiles(new[] { path });
                    return true;
                case System.IO.FileSystemInfo:
                    TakePipedFiles(Path);
                    return true;
            }

            MessageValidationException? problem;
            if (_delayBindRows || PipedRow.IsRow(input, MessageRowParameters))
            {
                // A row's FullName or Path column (a person's name, a report's location) is not a file to send.
                problem = PipedRow.Problem(input, RowParameters, _commandLineParameters);
            }
            else if (PipedRow.IsRow(input, PathRowParameter))
            {
                TakePipedFiles(Path);
                return true;
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
                    ThrowTerminatingError(new ErrorRecord(
                        new PSArgumentException(PipedFiles.AmbiguityText(_messageParametersGiven)),
                        "AmbiguousPipedFiles",
                        ErrorCategory.InvalidArgument,
                        paths));
                    break;
            }
        }
    }
}
