using System.Management.Automation;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// An object that came down the pipeline into Send-CompositeMail, as it came. It is the type of a parameter that
    /// takes every input only by conversion, which PowerShell tries last: a backend or a spool item still binds
    /// to its own parameter (and parameter set) first, where a parameter taking any object as it is would win.
    /// </summary>
    public sealed class PipelineInput
    {
        /// <summary>PowerShell converts any pipeline object with this constructor.</summary>
        public PipelineInput(object value)
        {
            Value = value;
        }

        public object Value { get; }

        /// <summary>
        /// The input's own text, except for a custom object (a row), whose text lists every property with its value:
        /// PowerShell's binder asks for it on every input, for a trace line nobody reads unless Trace-Command is on,
        /// and a batch paid for it on every row. Such a row is named by its type instead.
        /// </summary>
        public override string ToString() =>
            Value is PSObject { BaseObject: PSCustomObject } ? typeof(PSCustomObject).FullName! : Value.ToString() ?? string.Empty;
    }
}
