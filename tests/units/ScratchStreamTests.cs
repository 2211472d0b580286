using System;
using System.IO;
using System.Linq;
using PSCompositeMail.Platform;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class ScratchStreamTests
    {
        private static byte[] Bytes(int count) => Enumerable.Range(0, count).Select(i => (byte)(i * 31)).ToArray();

        private static void WriteInPieces(Stream stream, byte[] bytes)
        {
            // In small writes, as MimeKit writes a message.
            for (var offset = 0; offset < bytes.Length; offset += 4096)
            {
                stream.Write(bytes, offset, Math.Min(4096, bytes.Length - offset));
            }
        }

        private static byte[] ReadAll(Stream stream)
        {
            stream.Position = 0;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }

        [Fact]
        public void Small_content_stays_in_memory()
        {
            using var scratch = new ScratchStream();
            var bytes = Bytes(1000);
            WriteInPieces(scratch, bytes);
            Assert.Null(scratch.FilePath);
            Assert.Equal(bytes, ReadAll(scratch));
        }

        [Fact]
        public void Large_content_goes_to_a_temporary_file_nobody_else_can_open_and_reads_back_whole()
        {
            var bytes = Bytes(ScratchStream.InMemoryLimit * 3 + 17);
            var scratch = new ScratchStream();
            WriteInPieces(scratch, bytes);
            var file = Assert.IsType<string>(scratch.FilePath);
            Assert.Equal(Path.GetFullPath(Path.GetTempPath()), Path.GetDirectoryName(file) + Path.DirectorySeparatorChar);
            if (!OperatingSystem.IsWindows())
            {
                // Unlinked as soon as it was open: no name to open it by, and nothing left behind if the process dies.
                Assert.False(File.Exists(file));
            }

            Assert.Equal(bytes.Length, scratch.Length);
            Assert.Equal(bytes, ReadAll(scratch));
            scratch.Position = ScratchStream.InMemoryLimit - 2;
            var middle = new byte[4];
            Assert.Equal(4, scratch.Read(middle, 0, 4));
            Assert.Equal(bytes.Skip(ScratchStream.InMemoryLimit - 2).Take(4), middle);

            scratch.Dispose();
            Assert.False(File.Exists(file));
            Assert.Throws<ObjectDisposedException>(() => scratch.Length);
        }
    }
}
