using System;
using System.IO;
using System.Security.Cryptography;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// The length and SHA-256 of a spooled .eml, recorded when it is written and checked before it is resent,
    /// so a file cut short or changed on disk is never mailed as if it were whole.
    /// </summary>
    internal sealed class MessageDigest
    {
        public MessageDigest(long length, string sha256)
        {
            Length = length;
            Sha256 = sha256;
        }

        public long Length { get; }

        /// <summary>Lower-case hexadecimal.</summary>
        public string Sha256 { get; }

        /// <summary>Lets <paramref name="write"/> write to <paramref name="target"/> and digests the bytes on their way, so the file is read
        /// once.</summary>
        public static MessageDigest Write(Stream target, Action<Stream> write)
        {
            using var digesting = new DigestingStream(target);
            write(digesting);
            return digesting.Finish();
        }

        public static MessageDigest Of(string path)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920);
            using var sha = SHA256.Create();
            return new MessageDigest(file.Length, Hex(sha.ComputeHash(file)));
        }

        /// <summary>Why the file at <paramref name="path"/> is not the one recorded, or null when it is.</summary>
        public string? Mismatch(string path)
        {
            var actual = Of(path);
            if (actual.Length != Length)
            {
                return $"its .eml has a length of {actual.Length} bytes where {Length} were written (the file was cut short or changed)";
            }

            return string.Equals(actual.Sha256, Sha256, StringComparison.OrdinalIgnoreCase)
                ? null
                : "its .eml does not match the SHA-256 recorded when it was written (the file was changed)";
        }

        private static string Hex(byte[] hash) => BitConverter.ToString(hash).Replace("-", string.Empty).ToLowerInvariant();

        /// <summary>A write-only pass-through that counts and hashes; it leaves the target open.</summary>
        private sealed class DigestingStream : Stream
        {
            private readonly Stream _target;
            private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            private long _length;

            public DigestingStream(Stream target)
            {
                _target = target;
            }

            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => _length;

            public override long Position
            {
                get => _length;
                set => throw new NotSupportedException();
            }

            public MessageDigest Finish() => new MessageDigest(_length, Hex(_hash.GetHashAndReset()));

            public override void Write(byte[] buffer, int offset, int count)
            {
                _target.Write(buffer, offset, count);
                _hash.AppendData(buffer, offset, count);
                _length += count;
            }

            public override void Flush() => _target.Flush();

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _hash.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
