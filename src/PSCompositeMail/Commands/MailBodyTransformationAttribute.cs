using System;
using System.Management.Automation;
using PSCompositeMail.Reports;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Send-CompositeMail -Body stays [string], as Send-MailMessage's; a <see cref="MailBody"/> from ConvertTo-MailHtml
    /// passes as its text in a string the cmdlet recognises (<see cref="MailBodyCarrier"/>), on the command line, from a
    /// row's Body property or from a delay-bind script block. Anything else is left to PowerShell's binding, which
    /// refuses an array (Get-Content's lines) as before.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class MailBodyTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
            (inputData is PSObject wrapped ? wrapped.BaseObject : inputData) is MailBody body ? MailBodyCarrier.Carry(body) : inputData;
    }
}
