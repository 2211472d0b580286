using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PSCompositeMail.Platform
{
    /// <summary>
    /// Files and folders readable by their owner alone on Unix (0600, 0700), where new ones otherwise follow the umask
    /// (often rw-r--r--: every user of the host could read spooled bodies, Bcc envelopes or a protocol log). .NET
    /// Standard 2.0 has no chmod; PowerShell 7 runs on .NET 7 or later, whose File.SetUnixFileMode,
    /// Directory.CreateDirectory(path, mode) and FileStreamOptions.UnixCreateMode are found by reflection. On Windows
    /// a new file takes its folder's ACL, which is the user's profile or what the administrator chose, and nothing is
    /// changed. The one place for this, used by the spool and, from the engine, by the protocol log.
    /// </summary>
    internal static class OwnerOnly
    {
        private const int OwnerReadWrite = 0x180; // 0600
        private const int OwnerAll = 0x1C0; // 0700

        private static readonly Type? ModeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");

        private static readonly Type? StreamOptionsType = typeof(FileStream).Assembly.GetType("System.IO.FileStreamOptions");

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

        /// <summary>
        /// Opens a file for appending that only its owner can read, created so from the start (a reader who opened it in
        /// the moment before a chmod could keep reading); an existing file is narrowed to owner-only first, and only if it
        /// is a regular file of the current user: anything else is refused untouched. Where the
        /// modes cannot be set on Unix it fails closed rather than write a readable log. Each open checks all of that
        /// again (the message log opens its file for every line: another writer may have replaced it meanwhile), from
        /// one stat; the file is narrowed only when it is wider than owner-only, so in practice once.
        /// </summary>
        /// <param name="share">What others may do meanwhile; FileShare.None also keeps other writers out (an flock on Unix).</param>
        /// <param name="bufferSize">1 writes straight through, so that a failed write leaves nothing buffered to retry.</param>
        public static FileStream OpenAppend(string path, FileShare share = FileShare.Read, int bufferSize = 4096)
        {
            var facts = RegularFile.Ensure(path, "The log file");
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return new FileStream(path, FileMode.Append, FileAccess.Write, share, bufferSize);
            }

            var open = StreamOptionsType is null ? null : typeof(FileStream).GetConstructor(new[] { typeof(string), StreamOptionsType });
            if (SetFileMode is null || open is null)
            {
                throw new PlatformNotSupportedException($"'{path}' cannot be made readable by its owner only on this .NET; PowerShell 7.3 or later can.");
            }

            var options = Activator.CreateInstance(StreamOptionsType!)!;
            Set(options, "Mode", FileMode.Append);
            Set(options, "Access", FileAccess.Write);
            Set(options, "Share", share);
            Set(options, "BufferSize", bufferSize);
            Set(options, "UnixCreateMode", Enum.ToObject(ModeType!, OwnerReadWrite));
            if (facts is not null)
            {
                if ((File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0)
                {
                    // Narrowing and appending would act on whatever the link points at, maybe another user's file.
                    throw new IOException($"'{path}' is a symbolic link: give the real path of the log file.");
                }

                if (facts.OtherOwner is { } owner)
                {
                    // Narrowed, it would still be readable by that user; and chmod is not this module's to do to others' files.
                    throw new IOException(
                        $"'{path}' is a file of another user (uid {owner}): give each account its own file; it is neither opened nor changed.");
                }

                if (facts.Permissions != OwnerReadWrite)
                {
                    Invoke(SetFileMode, path, OwnerReadWrite);
                }
            }

            try
            {
                return (FileStream)open.Invoke(new[] { path, options });
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        private static void Set(object target, string property, object value) => target.GetType().GetProperty(property)!.SetValue(target, value);

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
