using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

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
        private const int OwnerWrite = 0x80; // 0200

        // The runtime's PAL values (its pal_io.h), the same on every Unix: its shim translates them to the system's.
        private const int NativeWriteOnly = 0x1;
        private const int NativeReadWrite = 0x2;
        private const int NativeCloseOnExec = 0x10;
        private const int NativeCreate = 0x20;
        private const int NativeNoFollow = 0x200;
        private const int LockShared = 1;
        private const int LockExclusive = 2;
        private const int LockNoWait = 4;
        private const int Unlock = 8;

        // The runtime's portable errno values (its pal_error_common.h).
        private const int PermissionDenied = 0x10002;
        private const int NoSuchEntry = 0x1002D;
        private const int NotPermitted = 0x10042;

        /// <summary>ERROR_SHARING_VIOLATION, as .NET reports a file locked by another process.</summary>
        private const int SharingViolation = unchecked((int)0x80070020);

        private static readonly Type? ModeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");

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
        /// the moment before a chmod could keep reading). On Unix the open does not follow a symbolic link in the last
        /// part of the path (O_NOFOLLOW: a link, also one to a file not there yet, or one swapped in after a check, is
        /// refused, and nothing is created where it points), and what was opened is judged by its own fstat: a regular
        /// file of the current user, else refused untouched. Its group and other permissions (and set-id and sticky
        /// bits) are taken away through the open file, never owner write added: a log its owner made read-only stays
        /// so, and cannot be written. Each open checks all of that again (the message log opens its file for every
        /// line: another writer may have replaced it meanwhile).
        /// </summary>
        /// <param name="share">What others may do meanwhile; FileShare.None also keeps other writers out (an flock on Unix, as .NET's own).</param>
        /// <param name="bufferSize">1 writes straight through, so that a failed write leaves nothing buffered to retry.</param>
        /// <param name="access">ReadWrite lets the caller read what the file ends with.</param>
        /// <returns>The file, positioned at its end.</returns>
        public static FileStream OpenAppend(
            string path, FileShare share = FileShare.Read, int bufferSize = 4096, FileAccess access = FileAccess.Write)
        {
            FileStream file;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                RegularFile.Ensure(path, "The log file");
                file = new FileStream(path, FileMode.OpenOrCreate, access, share, bufferSize);
            }
            else
            {
                file = new FileStream(OpenOwnRegularFile(path, share, access), access, bufferSize);
            }

            file.Seek(0, SeekOrigin.End);
            return file;
        }

        /// <summary>
        /// Appends <paramref name="line"/> (ended by a line feed) at the file's current end, which other processes sharing
        /// the file (opened with FileShare.ReadWrite) move: the runtime's open has no O_APPEND, so on Unix each write holds
        /// an exclusive flock and seeks to the end first. After a partial last line (a crash) it starts on a new line.
        /// </summary>
        /// <param name="file">Opened by <see cref="OpenAppend"/> with FileAccess.ReadWrite, to read what the file ends with.</param>
        public static void AppendLine(FileStream file, byte[] line)
        {
            var unix = !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            if (unix && NativeLock(file.SafeFileHandle, LockExclusive) != 0)
            {
                throw new IOException($"The log file '{file.Name}' could not be locked: {ErrorText(Marshal.GetLastWin32Error())}.");
            }

            try
            {
                file.Seek(0, SeekOrigin.End);
                if (!EndsLine(file))
                {
                    file.WriteByte((byte)'\n');
                }

                file.Write(line, 0, line.Length);
                file.Flush();
            }
            finally
            {
                if (unix)
                {
                    NativeLock(file.SafeFileHandle, Unlock);
                }
            }
        }

        /// <summary>
        /// Whether the file is empty or ends in a line feed; a crash (or another program) can leave a partial last line,
        /// which a new line would be glued onto. Leaves the position at the end.
        /// </summary>
        public static bool EndsLine(FileStream file)
        {
            var end = file.Position;
            if (end == 0)
            {
                return true;
            }

            file.Position = end - 1;
            var last = file.ReadByte();
            file.Position = end;
            return last == '\n';
        }

        private static SafeFileHandle OpenOwnRegularFile(string path, FileShare share, FileAccess access)
        {
            // Checked first only because opening a named pipe blocks until a reader comes; the open file is judged again below.
            RegularFile.EnsureNotLink(path, "The log file");
            var flags = NativeCreate | NativeCloseOnExec | NativeNoFollow | (access == FileAccess.Write ? NativeWriteOnly : NativeReadWrite);
            var handle = NativeOpen(RegularFile.NativePath(path), flags, OwnerReadWrite);
            if (handle.IsInvalid)
            {
                var error = Marshal.GetLastWin32Error();
                handle.Dispose();

                // ELOOP differs between systems: a link swapped in after the check above is told by looking again.
                RegularFile.EnsureNotLink(path, "The log file");
                throw OpenError(path, error);
            }

            try
            {
                var facts = RegularFile.Inspect(handle);
                if (facts.NotRegular is { } what)
                {
                    throw new NotARegularFileException($"The log file '{path}' is {what}, not a regular file; it was not written.");
                }

                if (facts.OtherOwner is { } owner)
                {
                    // Narrowed, it would still be readable by that user; and chmod is not this module's to do to others' files.
                    throw new IOException(
                        $"'{path}' is a file of another user (uid {owner}): give each account its own file; it is neither opened nor changed.");
                }

                if ((facts.Permissions & OwnerWrite) == 0)
                {
                    // Root may write any file; a log its owner made read-only is refused as it is for everyone else.
                    throw new UnauthorizedAccessException($"'{path}' is read-only (its owner may not write it); it was not written.");
                }

                if ((facts.Permissions & ~OwnerAll) != 0 && NativeChangeMode(handle, facts.Permissions & OwnerAll) != 0)
                {
                    throw new IOException($"'{path}' could not be made readable by its owner only: {ErrorText(Marshal.GetLastWin32Error())}.");
                }

                // As .NET locks a file it opens itself; without the exclusive lock two writers overwrite each other's lines.
                // A file shared for writing is locked by each write instead (AppendLine).
                if (share != FileShare.ReadWrite && NativeLock(handle, (share == FileShare.None ? LockExclusive : LockShared) | LockNoWait) != 0)
                {
                    throw new IOException(
                        $"The process cannot access the file '{path}' because it is being used by another process.", SharingViolation);
                }

                return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>The exception .NET itself would throw for that errno, so that callers keep telling permission from a missing folder.</summary>
        private static Exception OpenError(string path, int error)
        {
            var message = $"'{path}' could not be opened: {ErrorText(error)}.";
            return NativeErrorKind(error) switch
            {
                PermissionDenied or NotPermitted => new UnauthorizedAccessException(message),
                NoSuchEntry => new DirectoryNotFoundException(message),
                _ => new IOException(message),
            };
        }

        private static string ErrorText(int error)
        {
            var buffer = new byte[1024];
            var text = NativeErrorText(error, buffer, buffer.Length);
            return text == IntPtr.Zero ? $"errno {error}" : Marshal.PtrToStringAnsi(text) ?? $"errno {error}";
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

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Open", SetLastError = true)]
        private static extern SafeFileHandle NativeOpen(byte[] path, int flags, int mode);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_FChMod", SetLastError = true)]
        private static extern int NativeChangeMode(SafeFileHandle file, int mode);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_FLock", SetLastError = true)]
        private static extern int NativeLock(SafeFileHandle file, int operation);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_ConvertErrorPlatformToPal")]
        private static extern int NativeErrorKind(int error);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_StrErrorR")]
        private static extern IntPtr NativeErrorText(int error, byte[] buffer, int bufferSize);
    }
}
