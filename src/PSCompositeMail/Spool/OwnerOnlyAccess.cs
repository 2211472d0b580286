using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// Makes files and folders readable by their owner alone on Unix (0600, 0700), where new ones otherwise follow
    /// the umask (often rw-r--r--: every user of the host could read spooled bodies and Bcc envelopes). .NET
    /// Standard 2.0 has no chmod; PowerShell 7 runs on .NET 7 or later, whose File.SetUnixFileMode and
    /// Directory.CreateDirectory(path, mode) are found by reflection. On Windows a new file takes its folder's ACL,
    /// which is the user's profile or what the administrator chose, and nothing is changed.
    /// </summary>
    internal static class OwnerOnlyAccess
    {
        private const int OwnerReadWrite = 0x180; // 0600
        private const int OwnerAll = 0x1C0; // 0700

        private static readonly Type? ModeType = Type.GetType("System.IO.UnixFileMode");

        private static readonly MethodInfo? SetFileMode = ModeType is null || RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? null
            : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), ModeType });

        private static readonly MethodInfo? CreateDirectoryWithMode = SetFileMode is null
            ? null
            : typeof(Directory).GetMethod("CreateDirectory", new[] { typeof(string), ModeType! });

        /// <summary>Creates <paramref name="folder"/> (and its missing parents) owner-only; a folder that exists is left as it is.</summary>
        public static void CreateFolder(string folder)
        {
            if (CreateDirectoryWithMode is null || Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                return;
            }

            Invoke(CreateDirectoryWithMode, folder, OwnerAll);
        }

        /// <summary>Makes the file at <paramref name="path"/> readable and writable by its owner alone.</summary>
        public static void RestrictFile(string path)
        {
            if (SetFileMode is not null)
            {
                Invoke(SetFileMode, path, OwnerReadWrite);
            }
        }

        private static void Invoke(MethodInfo method, string path, int mode)
        {
            try
            {
                method.Invoke(null, new[] { path, Enum.ToObject(ModeType!, mode) });
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                // The caller handles IOException and UnauthorizedAccessException as for any other file operation.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            }
        }
    }
}
