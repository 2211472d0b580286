using PSCompositeMail.Messages;

namespace PSCompositeMail.Backends
{
    /// <summary>Shows each message on the Information stream, for debugging and dry runs.</summary>
    public sealed class ConsoleBackend : MailBackend
    {
        public ConsoleBackend(string? name, ConsoleFormat format)
            : base(name, MailBackendKind.Console)
        {
            Format = format;
        }

        public ConsoleFormat Format { get; }

        public override string Description => $"Information stream ({Format})";
    }
}
