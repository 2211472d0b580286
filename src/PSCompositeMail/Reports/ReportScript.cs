using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace PSCompositeMail.Reports
{
    /// <summary>Runs a report's script block (a calculated property, a -Highlight test) for one row.</summary>
    internal static class ReportScript
    {
        /// <summary>
        /// Runs the script block on the calling thread (the pipeline thread) with the row as $_. Any error in it
        /// throws (its $ErrorActionPreference is Stop): otherwise a statement-terminating error such as a division by
        /// zero or a missing property under Set-StrictMode would be written as it stands, not naming the row, and
        /// would go past -ErrorAction Stop.
        /// </summary>
        public static Collection<PSObject> Invoke(ScriptBlock script, PSObject row) =>
            // A new list each time: InvokeWithContext takes $_ out of the list it is given.
            script.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", row),
                new PSVariable("ErrorActionPreference", ActionPreference.Stop) });
    }
}
