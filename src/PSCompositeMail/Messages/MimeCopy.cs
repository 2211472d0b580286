using System;
using System.Collections.Concurrent;
using System.IO;
using System.Text;

namespace PSCompositeMail.Messages
{
    /// <summary>
    /// The MIME text of a captured message, written once and read only when someone asks for it: kept in memory
    /// when small, in a private temporary file when large, so capturing a message with a 200 MB attachment (the
    /// Memory and ScriptBlock backends) does not hold it in memory. The file lives as long as the copy, and no
    /// longer than the process.
    /// </summary>
    internal sealed class MimeCopy : IDisposable
    {
        internal const int InMemoryLimit = 1024 * 1024;
        private static readonly Encoding Utf8 = new UTF8Encoding(false);
        private static readonly ConcurrentDictionary<string, byte> LiveFiles = InitializeFiles();
        private readonly byte[]? _bytes;

        private MimeCopy(byte[]? bytes, string? file)
        {
            _bytes = bytes;
            File = file;
        }

        ~MimeCopy() => Dispose();

        /// <summary>The temporary file holding a large copy, or null when it is in memory.</summary>
        internal string? File { get; private set; }

        /// <summary>Writes the message through <paramref name="write"/>, spilling to a temporary file past <see cref="InMemoryLimit"/>.</summary>
        public static MimeCopy Write(Action<Stream> write)
        {
            using var spill = new SpillStream();
            write(spill);
            return spill.File is null ? new MimeCopy(spill.Memory.ToArray(), null) : new MimeCopy(null, spill.Detach());
        }

        public string ReadText() =>
            _bytes is not null ? Utf8.GetString(_bytes) :
            File is { } file ? System.IO.File.ReadAllText(file, Utf8) :
            throw new ObjectDisposedException(nameof(MimeCopy), "The captured message was cleared.");

        public void Dispose()
        {
            if (File is { } file)
            {
                File = null;
                Delete(file);
            }

            GC.SuppressFinalize(this);
        }

        private static ConcurrentDictionary<string, byte> InitializeFiles()
        {
            // Finalizers do not run when the process exits: whatever copies are still alive are removed then.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var file in LiveFiles.Keys)
                {
                    Delete(file);
                }
            };
            return new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        }

        private static void Delete(string file)
        {
            LiveFiles.TryRemove(file, out _);
            try
            {
                System.IO.File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A temporary file that cannot be removed now is left to the system's temporary folder cleanup.
            }
        }

        /// <summary>A write-only stream that keeps the first <see cref="InMemoryLimit"/> bytes in memory and moves to a file beyond.</summary>
        private sealed class SpillStream : Stream
        {
            private FileStream? _file;

            public MemoryStream Memory { get; } = new MemoryStream();

            public string? File => _file?.Name;

            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => _file?.Length ?? Memory.Length;

            public override long Position
            {
                get => Length;
                set => throw new NotSupportedException();
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (_file is null && Memory.Length + count > InMemoryLimit)
                {
                    // GetTempFileName creates the file readable by its owner only: the copy holds personal data.
                    var path = Path.GetTempFileName();
                    LiveFiles[path] = 0;
                    _file = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.Read, 81920);
                    Memory.WriteTo(_file);
                    Memory.SetLength(0);
                }

                if (_file is null)
                {
                    Memory.Write(buffer, offset, count);
                }
                else
                {
                    _file.Write(buffer, offset, count);
                }
            }

            /// <summary>Closes the file and hands it over to the copy.</summary>
            public string Detach()
            {
                var file = _file!;
                _file = null;
                file.Dispose();
                return file.Name;
            }

            public override void Flush() => _file?.Flush();

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing && _file is { } file)
                {
                    // Writing failed half way: nothing refers to the file.
                    _file = null;
                    file.Dispose();
                    Delete(file.Name);
                }

                Memory.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
