using System;
using System.IO;
using System.Text;
using PSCompositeMail.Messages;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class MimeCopyTests
    {
        private static MimeCopy CopyOf(string text) => MimeCopy.Write(stream =>
        {
            // In small writes, as MimeKit writes a message.
            var bytes = Encoding.UTF8.GetBytes(text);
            for (var offset = 0; offset < bytes.Length; offset += 4096)
            {
                stream.Write(bytes, offset, Math.Min(4096, bytes.Length - offset));
            }
        });

        [Fact]
        public void A_small_copy_stays_in_memory()
        {
            using var copy = CopyOf("Subject: small\r\n\r\nbody");
            Assert.Null(copy.File);
            Assert.Equal("Subject: small\r\n\r\nbody", copy.ReadText());
        }

        [Fact]
        public void A_large_copy_goes_to_a_private_temporary_file_that_disposing_removes()
        {
            var text = "Subject: large\r\n\r\n" + new string('x', MimeCopy.InMemoryLimit + 10);
            var copy = CopyOf(text);
            var file = Assert.IsType<string>(copy.File);
            Assert.True(File.Exists(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal(text, copy.ReadText());
            copy.Dispose();
            Assert.False(File.Exists(file));
            Assert.Throws<ObjectDisposedException>(() => copy.ReadText());
        }
    }
}
