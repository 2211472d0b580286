using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace PSCompositeMail.Platform
{
    /// <summary>
    /// Tells a process apart from an earlier one that had the same PID (a container's every run is PID 1; PIDs are
    /// reused): a token for when it started, equal only for the same process. On Linux the start time in clock
    /// ticks since boot (/proc/PID/stat field 22) with the boot's id, elsewhere Process.StartTime.
    /// </summary>
    internal static class ProcessStart
    {
        /// <summary>This process's token.</summary>
        public static readonly string? Current = Of(AtomicFile.ProcessId);

        /// <summary>The token of the running process <paramref name="pid"/>; null when none runs or its start cannot be read.</summary>
        public static string? Of(int pid)
        {
            try
            {
                return RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? OnLinux(pid) : Portable(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or
                System.ComponentModel.Win32Exception or NotSupportedException)
            {
                return null;
            }
        }

        private static string? OnLinux(int pid)
        {
            // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after it are counted from its last ')'.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat.Substring(stat.LastIndexOf(')') + 1).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
            if (fields.Length < 20)
            {
                return null;
            }

            var boot = File.Exists(BootId) ? File.ReadAllText(BootId).Trim().Replace("-", string.Empty) : string.Empty;
            return fields[19] + (boot.Length >= 8 ? "." + boot.Substring(0, 8) : string.Empty);
        }

        private const string BootId = "/proc/sys/kernel/random/boot_id";

        private static string? Portable(int pid)
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);
        }
    }
}
