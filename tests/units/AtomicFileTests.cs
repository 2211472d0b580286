using System;
using System.IO;
using System.Linq;
using PSCompositeMail.Platform;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class AtomicFileTests
    {
        [Fact]
        public void File_names_sort_by_time_and_never_collide()
        {
            var now = new DateTime(2026, 11, 27, 3, 0, 0, DateTimeKind.Utc);
            var names = Enumerable.Range(0, 1000).Select(i => AtomicFile.NewName(now.AddTicks(i / 10), ".eml")).ToArray();

            Assert.Equal(names.Length, names.Distinct().Count());
            Assert.Equal(names, names.OrderBy(n => n, StringComparer.Ordinal));
            Assert.StartsWith("20261127T0300000000000Z-", names[0]);
        }

        [Fact]
        public void A_failed_write_leaves_no_file_behind()
        {
            var folder = Path.Combine(Path.GetTempPath(), "pscm-" + Guid.NewGuid().ToString("N"));
            try
            {
                Assert.Throws<IOException>(() => AtomicFile.Write(folder, "x.eml", stream =>
                {
                    stream.WriteByte(1);
                    throw new IOException("disk full");
                }));

                Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
