using System;
using System.Management.Automation;
using PSCompositeMail.Sending;

namespace PSCompositeMail.Commands
{
    /// <summary>
    /// Lets a pipeline row's text set a switch: Import-Csv gives every cell as text, and PowerShell binds only booleans
    /// and numbers to a switch, so a BodyAsHtml column of 'True' was silently ignored. Other text is left as it is and
    /// fails to bind; the row is then refused with its reason (see Sending/PipedRow).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class SwitchFromTextAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value is not string text)
            {
                return inputData;
            }

            return PipedRow.SwitchText(text) is { } set ? set : inputData;
        }
    }
}
