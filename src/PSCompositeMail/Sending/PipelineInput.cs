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

        public override string ToString() => Value.ToString() ?? string.Empty;
    }
}
