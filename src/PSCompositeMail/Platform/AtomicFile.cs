using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace PSCompositeMail.Platform
{
    /// <summary>Files that appear whole or not at all, with names that sort by time and never collide.</summary>
    internal static class AtomicFile
    {
        public static readonly int ProcessId = System.Diagnostics.Process.GetCurrentProcess().Id;
        private static long _sequence;

        /// <summary>Temporary files start with this, so listings skip them and a crash leaves nothing that looks like a message.</summary>
        public const string TemporaryPrefix = ".";

        /// <summary>
        /// Creation time (UTC, to the tick), then a process-wide sequence; the process id and a random tail keep
        /// two writers in one folder apart.
        /// </summary>
        public static string NewName(DateTime utcNow, string extension) =>
            string.Format(
                CultureInfo.InvariantCulture,
                "{0:yyyyMMdd'T'HHmmssfffffff'Z'}-{1:D8}-{2}-{3}{4}",
                utcNow,
                Interlocked.Increment(ref _sequence) % 100_000_000,
                ProcessId,
                Guid.NewGuid().ToString("N").Substring(0, 8),
                extension);

        /// <summary>
        /// Writes to a hidden temporary file, flushed to disk, then renames it into place. <paramref name="beforePublish"/>
        /// runs between the two, once the content is whole (the spool writes an item's metadata there, with the digest).
        /// </summary>
        /// <param name="ownerOnly">On Unix, create the folder 0700 and the file 0600 instead of following the umask (the spool).</param>
        public static string Write(string folder, string fileName, Action<Stream> write, Action? beforePublish = null, bool ownerOnly = false)
        {
            if (ownerOnly)
            {
                OwnerOnly.CreateFolder(folder);
            }
            else
            {
                Directory.CreateDirectory(folder);
            }

            var final = Path.Combine(folder, fileName);
            var temporary = Path.Combine(folder, TemporaryPrefix + fileName + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");
            try
            {
                using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920))
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

        /// <summary>Renames over an existing file in one step (File.Move cannot overwrite on .NET Standard 2.0).</summary>
        private static void Replace(string source, string destination)
        {
            if (File.Exists(destination))
            {
                File.Replace(source, destination, null);
            }
            else
            {
                File.Move(source, destination);
            }
        }
    }
}
