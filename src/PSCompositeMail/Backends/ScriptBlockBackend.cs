using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Hands each message (as a <see cref="CapturedMessage"/>) to a script block; a throw or a written error is a
    /// failure. What the block writes never reaches the caller's streams directly: its output becomes the result's
    /// Detail, its warnings are warnings naming the backend, and the rest (verbose, debug, Write-Host) is shown
    /// only when the caller asks for -Verbose or -Debug.
    /// </summary>
    public sealed class ScriptBlockBackend : MailBackend
    {
        /// <summary>
        /// Runs the user's block with every stream merged into its output, where this backend sorts them. Errors and
        /// warnings are always written: a caller's $ErrorActionPreference = 'SilentlyContinue' would otherwise hide a
        /// Write-Error, and a failed delivery would count as sent (the block can still choose -ErrorAction itself).
        /// </summary>
        private const string Runner =
            "param($block, $message) $ErrorActionPreference = 'Continue'; $WarningPreference = 'Continue'; & $block $message *>&1";

        public ScriptBlockBackend(string? name, ScriptBlock scriptBlock)
            : base(name, MailBackendKind.ScriptBlock)
        {
            ScriptBlock = scriptBlock;
        }

        public ScriptBlock ScriptBlock { get; }

        /// <summary>
        /// Where the block was written, never its text: a block often holds the API key or Authorization header of the
        /// service it calls, and descriptions reach -WhatIf, results, Reason, the message log and the spool.
        /// </summary>
        public override string Description =>
            ScriptBlock.File is { Length: > 0 } file ? $"script block at {file}:{ScriptBlock.Ast.Extent.StartLineNumber}" : "script block";

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        /// <summary>
        /// Sessions may run on a delivery worker (-ThrottleLimit), but the script block belongs to the caller's
        /// runspace: it is always invoked on the pipeline thread, through the context.
        /// </summary>
        private sealed class Session : StatelessSession<ScriptBlockBackend>
        {
            public Session(ScriptBlockBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                var copy = message.Capture();
                Collection<PSObject> written;
                try
                {
                    written = Context.OnPipelineThread(() => ScriptBlock.Create(Runner).Invoke(Backend.ScriptBlock, copy));
                }
                catch (FlowControlException flow)
                {
                    // exit, or break/continue with no loop around them, leaves the script block with an exception
                    // whose whole message is "System error.": say what happened instead.
                    var what = flow is ExitException ? "used 'exit'" : "used 'break' or 'continue' outside a loop";
                    throw new InvalidOperationException(
                        $"The script block {what}, which ends it without delivering the message; use 'return' to leave it, or 'throw' to fail.",
                        flow);
                }

                var output = new List<string>();
                var errors = new List<ErrorRecord>();
                foreach (var item in written.Select(w => w?.BaseObject))
                {
                    switch (item)
                    {
                        case ErrorRecord error:
                            errors.Add(error);
                            break;
                        case WarningRecord warning:
                            Context.Warning($"{Backend.Name}: {warning.Message}");
                            break;
                        case DebugRecord debug:
                            Context.Write(StreamKind.Debug, $"{Backend.Name}: {debug.Message}");
                            break;
                        case InformationalRecord verbose:
                            Context.Verbose($"{Backend.Name}: {verbose.Message}");
                            break;
                        case InformationRecord information:
                            Context.Verbose($"{Backend.Name}: {information.MessageData}");
                            break;
                        case null:
                            break;
                        default:
                            output.Add(item.ToString());
                            break;
                    }
                }

                if (errors.Count > 0)
                {
                    var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : string.Empty;
                    throw new RuntimeException($"The script block wrote an error: {errors[0]}{more}", errors[0].Exception, errors[0]);
                }

                return output.Count == 0 ? null : "output: " + string.Join("; ", output);
            }
        }
    }
}
