using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
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

        /// <summary>
        /// The PID namespace this process runs in (Linux: the inode of /proc/self/ns/pid, "4026531836"), null elsewhere or when
        /// unreadable. A PID means the same process only within one namespace: a container's PID 18 is another host PID.
        /// </summary>
        public static readonly string? Namespace = ReadNamespace();

        /// <summary>The boot id part of a token (empty when it has none): starts compare only within one boot.</summary>
        public static string BootOf(string token) => token.IndexOf('.') is var dot and >= 0 ? token.Substring(dot + 1) : string.Empty;

        private static string? ReadNamespace()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                return null;
            }

            try
            {
                var target = new byte[256];
                var length = ReadLink(RegularFile.NativePath("/proc/self/ns/pid"), target, target.Length);
                // "pid:[4026531836]": the digits alone, so that the claim's file name stays plain.
                var link = length > 0 ? System.Text.Encoding.ASCII.GetString(target, 0, length) : string.Empty;
                var digits = new string(link.Where(char.IsDigit).ToArray());
                return digits.Length > 0 ? digits : null;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                return null;
            }
        }

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_ReadLink", SetLastError = true)]
        private static extern int ReadLink(byte[] path, byte[] buffer, int bufferSize);

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
