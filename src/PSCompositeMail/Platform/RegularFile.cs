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
    /// a folder is told apart. Something swapped in between this check and the open is not guarded against.
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
        private const int Socket = 0xC000;

        // FileStatus begins with Flags, Mode, Uid and Gid (32-bit fields); the buffer is far larger than the whole struct.
        private const int StatusSize = 512;
        private const int ModeOffset = 4;
        private const int OwnerOffset = 8;

        private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>What is at <paramref name="path"/> when it is not a regular file ("a named pipe (FIFO)"); null for a file or for nothing at all (opening it says "not found").</summary>
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

            if (Status(path) is not { } status)
            {
                return null;
            }

            return (BitConverter.ToInt32(status, ModeOffset) & TypeMask) switch
            {
                Regular => null,
                NamedPipe => "a named pipe (FIFO)",
                CharacterDevice => "a character device",
                BlockDevice => "a block device",
                Socket => "a socket",
                Folder => "a directory",
                var type => $"an item of type 0x{type:X}",
            };
        }

        /// <summary>Throws before <paramref name="path"/> is opened when something other than a regular file is there.</summary>
        /// <param name="description">How the error names the file ("-ProtocolLog", "the DKIM private key file").</param>
        /// <exception cref="NotARegularFileException">A folder, pipe, device or socket is there.</exception>
        public static void Ensure(string path, string description)
        {
            if (WhyNot(path) is { } what)
            {
                throw new NotARegularFileException($"{description} '{path}' is {what}, not a regular file; it was not opened.");
            }
        }

        /// <summary>
        /// The owner of the file at <paramref name="path"/> when it is another user than the one this process runs as
        /// (its uid); null for the current user's file, for nothing at all, and on Windows.
        /// </summary>
        public static uint? OtherOwner(string path)
        {
            if (OnWindows || Status(path) is not { } status)
            {
                return null;
            }

            var owner = BitConverter.ToUInt32(status, OwnerOffset);
            return owner == GetEffectiveUserId() ? null : owner;
        }

        /// <summary>The runtime's FileStatus of what the path finally points to, or null when nothing is there.</summary>
        private static byte[]? Status(string path)
        {
            var status = new byte[StatusSize];
            return Stat(Encoding.UTF8.GetBytes(path + "\0"), status) == 0 ? status : null;
        }

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        private static extern int Stat(byte[] path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_GetEUid")]
        private static extern uint GetEffectiveUserId();
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
