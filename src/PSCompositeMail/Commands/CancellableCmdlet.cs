using System;
using System.Management.Automation;
using System.Threading;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// What every cmdlet of the module shares: a cancellation token that Ctrl+C (StopProcessing) trips,
    /// and a Dispose that PowerShell calls however the pipeline ends, so connections are always closed.
    /// </summary>
    public abstract class CancellableCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private bool _disposed;

        protected CancellationToken CancellationToken => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>-Verbose, or $VerbosePreference asking for verbose output.</summary>
        protected bool VerboseRequested => Requested("Verbose", "VerbosePreference");

        /// <summary>-Debug, or $DebugPreference asking for debug output.</summary>
        protected bool DebugRequested => Requested("Debug", "DebugPreference");

        /// <summary>
        /// PowerShell writes ShouldProcess's text itself (the -Verbose and -WhatIf lines, the -Confirm prompt), past
        /// <see cref="StreamWriting"/>: every cmdlet of the module asks through these, which escape what a backend's name,
        /// a folder or an address may hold.
        /// </summary>
        public new bool ShouldProcess(string target, string action) =>
            base.ShouldProcess(StreamWriting.Escaped(target), StreamWriting.Escaped(action));

        /// <inheritdoc cref="ShouldProcess(string, string)"/>
        public new bool ShouldProcess(string verboseDescription, string? verboseWarning, string caption) =>
            base.ShouldProcess(StreamWriting.Escaped(verboseDescription), verboseWarning is null ? null : StreamWriting.Escaped(verboseWarning),
                StreamWriting.Escaped(caption));

        /// <summary>-Confirm, -WhatIf or the preferences that imply them: ShouldProcess will show its text.</summary>
        protected bool ConfirmationPossible =>
            Requested("Confirm", null) || Requested("WhatIf", null) ||
            LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference")) ||
            LanguagePrimitives.TryConvertTo(GetVariableValue("ConfirmPreference"), out ConfirmImpact preference) && preference != ConfirmImpact.None
                && preference <= DeclaredConfirmImpact;

        /// <summary>The ConfirmImpact the cmdlet declares: ShouldProcess asks when $ConfirmPreference is at or below it.</summary>
        private ConfirmImpact DeclaredConfirmImpact =>
            ((CmdletAttribute)Attribute.GetCustomAttribute(GetType(), typeof(CmdletAttribute))).ConfirmImpact;

        private bool Requested(string parameter, string? preferenceVariable)
        {
            if (MyInvocation.BoundParameters.TryGetValue(parameter, out var value))
            {
                return value is SwitchParameter { IsPresent: true } or true;
            }

            // A preference set in a child scope ($VerbosePreference = 'Continue' in a function) is a plain string
            // there: only the global variable carries the ActionPreference type.
            return preferenceVariable is not null &&
                LanguagePrimitives.TryConvertTo(GetVariableValue(preferenceVariable), out ActionPreference preference) &&
                preference is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            ReleaseResources();
            _stopping.Dispose();
            GC.SuppressFinalize(this);
        }

        /// <summary>Closes what the command opened; called once, at the end of the pipeline or when it is stopped.</summary>
        protected virtual void ReleaseResources()
        {
        }
    }
}
