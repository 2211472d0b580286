using System;
using System.Management.Automation;
using PSCompositeMail.Reports;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Send-CompositeMail -Body stays [string], as Send-MailMessage's; a <see cref="MailBody"/> from ConvertTo-MailHtml
    /// (or one rebuilt after serialization, see <see cref="MailBody.From"/>) passes as its text in a string the cmdlet
    /// recognises (<see cref="MailBodyCarrier"/>), on the command line, from a row's Body property or from a delay-bind
    /// script block. Anything else is left to PowerShell's binding, which refuses an array (Get-Content's lines) as before.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class MailBodyTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
            MailBody.From(inputData) is { } body ? MailBodyCarrier.Carry(body) : inputData;
    }

    /// <summary>
    /// Send-CompositeMail -HtmlBody given a report: its HTML, never its text. Bound as [string] as it is, a report
    /// would go in as its plain text, its values unescaped, so that a value holding markup became live HTML.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class MailBodyHtmlTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
            MailBody.From(inputData) is { } body ? body.Html : inputData;
    }
}
