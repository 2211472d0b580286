using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace PSCompositeMail.Platform
{
    /// <summary>
    /// Tells a regular file from what only looks like one, for every file the module opens (attachments, .eml input,
    /// certificates, keys, profiles, the protocol log, the spool). Opening a named pipe (FIFO) blocks until a writer
    /// comes, and no Stop() can end that; a device never ends. .NET Standard has no call for a file's type, so it is
    /// asked of the .NET runtime's own native library (its stat, which follows links: a link is judged by what it
    /// finally points to, so /dev/stdin on a pipe is a pipe). Windows has no such files in its file system: there only
    /// a folder is told apart. Something swapped in between this check and the open is not guarded against here; the
    /// logs, which are written, open without following a link and judge the opened file itself (OwnerOnly.OpenAppend).
    /// </summary>
    internal static class RegularFile
    {
        // The file type bits of st_mode, as the runtime's FileStatus.Mode reports them (the same on every Unix it supports).
        private const int TypeMask = 0xF000;
        private const int NamedPipe = 0x1000;
        private const int CharacterDevice = 0x2000;
        private const int Folder = 0x4000;
        private const int BlockDevice = 0x6000;
        private const int Regular = 0x8000;
        private const int SymbolicLink = 0xA000;
        private const int Socket = 0xC000;
        private const int PermissionMask = 0xFFF;

        // FileStatus begins with Flags, Mode, Uid and Gid (32-bit fields); the buffer is far larger than the whole struct.
        private const int StatusSize = 512;
        private const int ModeOffset = 4;
        private const int OwnerOffset = 8;

        private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>What is at <paramref name="path"/> when it is not a regular file ("a named pipe (FIFO)"); null for a file or for nothing at all
        /// (opening it says "not found").</summary>
        public static string? WhyNot(string path)
        {
            if (Directory.Exists(path))
            {
                return "a directory";
            }

            if (OnWindows)
            {
                return null;
            }

            return Inspect(path)?.NotRegular;
        }

        /// <summary>
        /// Throws before <paramref name="path"/> is opened when something other than a regular file is there; returns
        /// what the same stat said of the file, so that a caller needs no second one (null for nothing there, and on Windows).
        /// </summary>
        /// <param name="description">How the error names the file ("-ProtocolLog", "the DKIM private key file").</param>
        /// <exception cref="NotARegularFileException">A folder, pipe, device or socket is there.</exception>
        public static FileFacts? Ensure(string path, string description)
        {
            var facts = OnWindows ? null : Inspect(path);
            if ((OnWindows ? WhyNot(path) : facts?.NotRegular) is { } what)
            {
                throw new NotARegularFileException($"{description} '{path}' is {what}, not a regular file; it was not opened.");
            }

            return facts;
        }

        /// <summary>
        /// As <see cref="Ensure"/>, but of the path itself (lstat): a symbolic link there is refused, not followed. Unix only.
        /// </summary>
        /// <exception cref="NotARegularFileException">A link, folder, pipe, device or socket is there.</exception>
        public static FileFacts? EnsureNotLink(string path, string description)
        {
            var status = new byte[StatusSize];
            var facts = LinkStat(NativePath(path), status) == 0 ? Facts(status) : null;
            if (facts?.NotRegular is { } what)
            {
                throw new NotARegularFileException($"{description} '{path}' is {what}, not a regular file; it was not opened.");
            }

            return facts;
        }

        /// <summary>What fstat says of an open file. Unix only.</summary>
        /// <exception cref="IOException">fstat failed.</exception>
        public static FileFacts Inspect(SafeHandle file)
        {
            var status = new byte[StatusSize];
            if (FileStat(file, status) != 0)
            {
                throw new IOException($"The opened file could not be inspected (errno {Marshal.GetLastWin32Error()}).");
            }

            return Facts(status);
        }

        /// <summary>What one stat of <paramref name="path"/> says (type, owner, permissions), or null when nothing is there; Unix only.</summary>
        private static FileFacts? Inspect(string path) => Status(path) is { } status ? Facts(status) : null;

        private static FileFacts Facts(byte[] status)
        {
            var mode = BitConverter.ToInt32(status, ModeOffset);
            var notRegular = (mode & TypeMask) switch
            {
                Regular => null,
                NamedPipe => "a named pipe (FIFO)",
                CharacterDevice => "a character device",
                BlockDevice => "a block device",
                Socket => "a socket",
                Folder => "a directory",
                SymbolicLink => "a symbolic link",
                var type => $"an item of type 0x{type:X}",
            };
            var owner = BitConverter.ToUInt32(status, OwnerOffset);
            return new FileFacts(notRegular, owner == GetEffectiveUserId() ? null : owner, mode & PermissionMask);
        }

        /// <summary>The runtime's FileStatus of what the path finally points to, or null when nothing is there.</summary>
        private static byte[]? Status(string path)
        {
            var status = new byte[StatusSize];
            return Stat(NativePath(path), status) == 0 ? status : null;
        }

        /// <summary>A path as the runtime's native library takes it: UTF-8, ended by a zero byte.</summary>
        internal static byte[] NativePath(string path) => Encoding.UTF8.GetBytes(path + "\0");

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        private static extern int Stat(byte[] path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
        private static extern int LinkStat(byte[] path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
        private static extern int FileStat(SafeHandle file, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_GetEUid")]
        private static extern uint GetEffectiveUserId();
    }

    /// <summary>What a stat says of a file that is there.</summary>
    internal sealed class FileFacts
    {
        public FileFacts(string? notRegular, uint? otherOwner, int permissions)
        {
            NotRegular = notRegular;
            OtherOwner = otherOwner;
            Permissions = permissions;
        }

        /// <summary>What it is when not a regular file ("a named pipe (FIFO)"), else null.</summary>
        public string? NotRegular { get; }

        /// <summary>Its owner when that is another user than the one this process runs as (its uid), else null.</summary>
        public uint? OtherOwner { get; }

        /// <summary>Its permission bits (0600 is 0x180).</summary>
        public int Permissions { get; }
    }

    /// <summary>A path that was to be opened as a file names a folder, pipe, device or socket.</summary>
    public sealed class NotARegularFileException : IOException
    {
        public NotARegularFileException(string message)
            : base(message)
        {
        }
    }
}
