using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Commands
{
    /// <summary>Builds a backend object; connects to nothing.</summary>
    [Cmdlet(VerbsCommon.New, "MailBackend", DefaultParameterSetName = ConsoleSet)]
    [OutputType(typeof(MailBackend))]
    public sealed class NewMailBackendCommand : PSCmdlet
    {
        private const string ConsoleSet = "Console";
        private const string DirectorySet = "Directory";
        private const string MemorySet = "Memory";
        private const string NullSet = "Null";
        private const string ScriptBlockSet = "ScriptBlock";
        private const string CompositeSet = "Composite";

        private readonly List<MailBackend> _compositeMembers = new List<MailBackend>();

        [Parameter(Mandatory = true, ParameterSetName = ConsoleSet)]
        public SwitchParameter Console { get; set; }

        [Parameter(ParameterSetName = ConsoleSet)]
        public ConsoleFormat Format { get; set; } = ConsoleFormat.Full;

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
        public MailBackend[] Backend { get; set; } = System.Array.Empty<MailBackend>();

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
                    WriteObject(new ConsoleBackend(Name, Format));
                    break;
            }
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
