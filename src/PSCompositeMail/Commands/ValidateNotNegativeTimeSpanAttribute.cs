using System;
using System.Management.Automation;

namespace PSCompositeMail.Commands
{
    /// <summary>Refuses a negative TimeSpan at binding: a negative -MaxAge makes every item late, a negative -OlderThan lists everything.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class ValidateNotNegativeTimeSpanAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            if ((arguments is PSObject wrapped ? wrapped.BaseObject : arguments) is TimeSpan span && span < TimeSpan.Zero)
            {
                throw new ValidationMetadataException($"{span} is negative: give how long, such as 04:00:00.");
            }
        }
    }
}
