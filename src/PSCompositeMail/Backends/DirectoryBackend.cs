using System;
using System.Globalization;
using System.IO;
using System.Threading;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>Writes one RFC 5322 .eml file per message into a folder (a pickup directory, an outbox to inspect).</summary>
    public sealed class DirectoryBackend : MailBackend
    {
        private static readonly int ProcessId = System.Diagnostics.Process.GetCurrentProcess().Id;
        private static long _sequence;

        public DirectoryBackend(string? name, string path)
            : base(name, MailBackendKind.Directory)
        {
            Path = path;
        }

        /// <summary>The folder's full path.</summary>
        public string Path { get; }

        public override string Description => Path;

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        internal override BackendTestResult Test(DeliveryContext context)
        {
            var probe = System.IO.Path.Combine(Path, "." + Guid.NewGuid().ToString("N") + ".probe");
            try
            {
                Directory.CreateDirectory(Path);
                File.WriteAllBytes(probe, Array.Empty<byte>());
                File.Delete(probe);
                return new BackendTestResult(Name, Kind.ToString(), true, TimeSpan.Zero, $"'{Path}' is writable.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new BackendTestResult(Name, Kind.ToString(), false, TimeSpan.Zero, exception: ex);
            }
        }

        /// <summary>
        /// Names sort by creation time (UTC, to the tick), then by a process-wide sequence; the process id
        /// and a random tail keep two writers in one folder apart.
        /// </summary>
        internal static string NewFileName(DateTime utcNow) =>
            string.Format(
                CultureInfo.InvariantCulture,
                "{0:yyyyMMdd'T'HHmmssfffffff'Z'}-{1:D8}-{2}-{3}.eml",
                utcNow,
                Interlocked.Increment(ref _sequence) % 100_000_000,
                ProcessId,
                Guid.NewGuid().ToString("N").Substring(0, 8));

        /// <summary>Writes to a hidden temporary file, flushed to disk, then renames it: readers never see half a message.</summary>
        internal static string WriteAtomically(string folder, string fileName, Action<Stream> write)
        {
            Directory.CreateDirectory(folder);
            var final = System.IO.Path.Combine(folder, fileName);
            var temporary = System.IO.Path.Combine(folder, "." + fileName + ".tmp");
            try
            {
                using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920))
                {
                    write(stream);
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temporary, final);
                return final;
            }
            catch
            {
                File.Delete(temporary);
                throw;
            }
        }

        private sealed class Session : StatelessSession
        {
            public Session(DirectoryBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(OutgoingMessage message)
            {
                var folder = ((DirectoryBackend)Backend).Path;
                return WriteAtomically(folder, NewFileName(DateTime.UtcNow), stream => MimeText.WriteTo(message.Mime, stream));
            }
        }
    }
}
