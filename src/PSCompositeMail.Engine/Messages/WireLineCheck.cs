using System;
using System.IO;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// A stream that keeps nothing and notes the first thing written that must not go on the wire: a CR that does
    /// not start a CRLF ("&lt;CR&gt;.&lt;CR&gt;&lt;LF&gt;" is an SMTP smuggling sequence), a bare LF, or a line over 998 octets.
    /// </summary>
    internal sealed class WireLineCheck : Stream
    {
        public const int MaxLineLength = 998;

        private readonly bool _bareLineFeedsAllowed;
        private long _position;
        private int _lineLength;
        private byte _previous;

        /// <param name="bareLineFeedsAllowed">For content that is written through MimeKit's CRLF filter, which fixes bare LFs (but not bare
        /// CRs).</param>
        public WireLineCheck(bool bareLineFeedsAllowed = false)
        {
            _bareLineFeedsAllowed = bareLineFeedsAllowed;
        }

        /// <summary>What is wrong, in words, or null.</summary>
        public string? Problem { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _position;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            for (var i = offset; i < offset + count && Problem is null; i++, _position++)
            {
                var b = buffer[i];
                if (_previous == '\r' && b != '\n')
                {
                    Problem = $"a CR that does not end a line (octet {_position})";
                }
                else if (b == '\n')
                {
                    Problem = _previous != '\r' && !_bareLineFeedsAllowed ? $"an LF without CR (octet {_position})" : null;
                    _lineLength = 0;
                }
                else if (b != '\r' && ++_lineLength > MaxLineLength)
                {
                    Problem = $"a line longer than {MaxLineLength} octets (at octet {_position})";
                }

                _previous = b;
            }
        }

        /// <summary>Call when everything was written: a CR at the very end ends no line either.</summary>
        public string? Finish()
        {
            if (Problem is null && _previous == '\r')
            {
                Problem = "a CR at the end that does not end a line";
            }

            return Problem;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
