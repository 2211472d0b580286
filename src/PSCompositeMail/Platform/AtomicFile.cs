using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace PSCompositeMail.Platform
{
    /// <summary>Files that appear whole or not at all, with names that sort by time and never collide.</summary>
    internal static class AtomicFile
    {
        public static readonly int ProcessId = System.Diagnostics.Process.GetCurrentProcess().Id;

        /// <summary>
        /// Drawn once: with the process id it keeps this process's names apart from another's that has the same id (in
        /// another container or on another host writing to the same share); the sequence keeps this process's own apart.
        /// </summary>
        private static readonly string ProcessTail = Guid.NewGuid().ToString("N").Substring(0, 8);

        private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        private static long _sequence;
        private static long _temporarySequence;

        /// <summary>Temporary files start with this, so listings skip them and a crash leaves nothing that looks like a message.</summary>
        public const string TemporaryPrefix = ".";

        /// <summary>
        /// Creation time (UTC, to the tick), then a process-wide sequence; the process id and a random tail keep
        /// two writers in one folder apart.
        /// </summary>
        /// <remarks>No random number per file: reading one is a system call, and a batch writes thousands of files.</remarks>
        public static string NewName(DateTime utcNow, string extension) =>
            string.Format(
                CultureInfo.InvariantCulture,
                "{0:yyyyMMdd'T'HHmmssfffffff'Z'}-{1:D8}-{2}-{3}{4}",
                utcNow,
                Interlocked.Increment(ref _sequence) % 100_000_000,
                ProcessId,
                ProcessTail,
                extension);

        /// <summary>
        /// Writes to a hidden temporary file, flushed to disk, then renames it into place. <paramref name="beforePublish"/>
        /// runs between the two, once the content is whole (the spool writes an item's metadata there, with the digest).
        /// </summary>
        /// <param name="ownerOnly">On Unix, create the folder 0700 and the file 0600 instead of following the umask (the spool).</param>
        public static string Write(string folder, string fileName, Action<Stream> write, Action? beforePublish = null, bool ownerOnly = false)
        {
            var final = Path.Combine(folder, fileName);
            // Unique however often one name is written (the spool rewrites an item's metadata), without a random number per file.
            var unique = string.Format(
                CultureInfo.InvariantCulture, "{0}-{1}-{2}", ProcessId, ProcessTail, Interlocked.Increment(ref _temporarySequence));
            var temporary = Path.Combine(folder, TemporaryPrefix + fileName + "." + unique + ".tmp");
            // Created here, outside the clean-up below: a file this call did not create is never deleted by it.
            var stream = CreateTemporary(folder, temporary, ownerOnly);
            try
            {
                using (stream)
                {
                    // Restricted while still empty, before any content is written; the rename keeps the mode.
                    if (ownerOnly)
                    {
                        OwnerOnly.RestrictFile(temporary);
                    }

                    write(stream);
                    stream.Flush(flushToDisk: true);
                }

                beforePublish?.Invoke();
                Replace(temporary, final);
                return final;
            }
            catch
            {
                File.Delete(temporary);
                throw;
            }
        }

        /// <summary>
        /// The folder is made when the file cannot be created for want of it, not looked up before every file: a batch
        /// writes thousands of files into one folder, and one that was removed meanwhile is made again all the same.
        /// </summary>
        private static FileStream CreateTemporary(string folder, string temporary, bool ownerOnly)
        {
            try
            {
                return OpenNew(temporary);
            }
            catch (DirectoryNotFoundException)
            {
                if (ownerOnly)
                {
                    OwnerOnly.CreateFolder(folder);
                }
                else
                {
                    Directory.CreateDirectory(folder);
                }

                return OpenNew(temporary);
            }
        }

        private static FileStream OpenNew(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920);

        /// <summary>
        /// Renames over an existing file in one step. On Unix that is what rename(2) does, in one system call (File.Move
        /// looks at both paths first, and cannot overwrite on .NET Standard 2.0); when it fails, File.Move and File.Replace
        /// give the error as .NET names it.
        /// </summary>
        private static void Replace(string source, string destination)
        {
            if (!OnWindows && Rename(RegularFile.NativePath(source), RegularFile.NativePath(destination)) == 0)
            {
                return;
            }

            if (File.Exists(destination))
            {
                File.Replace(source, destination, null);
            }
            else
            {
                File.Move(source, destination);
            }
        }

        // The .NET runtime's own native library, as RegularFile asks it for stat: there on every Unix PowerShell 7 runs on.
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Rename", SetLastError = true)]
        private static extern int Rename(byte[] oldPath, byte[] newPath);
    }
}
