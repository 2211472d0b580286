using System;
using System.IO;
using System.Runtime.InteropServices;

namespace PSCompositeMail.Platform
{
    /// <summary>
    /// A readable, seekable buffer for what a library needs whole (a message to sign, encrypt or parse back, the MIME
    /// Graph takes): in memory up to <see cref="InMemoryLimit"/>, in a private temporary file beyond, so a 100 MB
    /// attachment is not held in memory once more on every path it takes. The file is readable by its owner only
    /// (GetTempFileName creates it so on Unix) and leaves no trace: on Unix it is unlinked as soon as it is open (the
    /// open handle keeps it until disposed, and a killed process leaves nothing behind); on Windows it is deleted when
    /// the handle closes, which the system does for a killed process too.
    /// </summary>
    internal sealed class ScratchStream : Stream
    {
        internal const int InMemoryLimit = 1024 * 1024;

        private Stream _inner = new MemoryStream();

        /// <summary>The temporary file the content went to once it outgrew <see cref="InMemoryLimit"/> (on Unix already unlinked), or null.</summary>
        internal string? FilePath => (_inner as FileStream)?.Name;

        public override bool CanRead => _inner.CanRead;

        public override bool CanSeek => _inner.CanSeek;

        public override bool CanWrite => _inner.CanWrite;

        public override long Length => _inner.Length;

        public override long Position
        {
            get => _inner.Position;
            set => _inner.Position = value;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_inner is MemoryStream memory && memory.Position + count > InMemoryLimit)
            {
                var file = OpenPrivateFile();
                try
                {
                    var position = memory.Position;
                    memory.Position = 0;
                    memory.CopyTo(file);
                    file.Position = position;
                }
                catch
                {
                    file.Dispose();
                    throw;
                }

                _inner = file;
                memory.Dispose();
            }

            _inner.Write(buffer, offset, count);
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

        public override void SetLength(long value) => _inner.SetLength(value);

        public override void Flush() => _inner.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static FileStream OpenPrivateFile()
        {
            var path = Path.GetTempFileName();
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
            }

            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920);
            }
            finally
            {
                // Not DeleteOnClose: by the time the handle closes, another file may have been given the same name.
                File.Delete(path);
            }
        }
    }
}
