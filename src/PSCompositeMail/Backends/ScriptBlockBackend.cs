using System.Management.Automation;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Hands each message (as a <see cref="CapturedMessage"/>) to a script block; a throw is a failure.
    /// Sessions run on the pipeline thread, which is what lets the script block use the caller's runspace.
    /// </summary>
    public sealed class ScriptBlockBackend : MailBackend
    {
        public ScriptBlockBackend(string? name, ScriptBlock scriptBlock)
            : base(name, MailBackendKind.ScriptBlock)
        {
            ScriptBlock = scriptBlock;
        }

        public ScriptBlock ScriptBlock { get; }

        public override string Description => "{ " + Shorten(ScriptBlock.ToString().Trim()) + " }";

        private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";
    }
}
