using System;
using System.Linq;
using MailKit;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// MailKit reports every read from and write to the server to its protocol logger, whether or not a log is
    /// kept: this one passes each report on and tells the watchdog that the connection moved (and whether the client
    /// or the server moved it), so -TimeoutSec bounds each read and write and the reply limit each reply, instead of
    /// a whole exchange (a greeting and EHLO, or MAIL, RCPT, DATA and the data).
    /// It also notices when the client has written the end-of-data marker (CRLF.CRLF, the final dot of DATA): from
    /// then on the server may have accepted the message, even if its reply never comes.
    /// </summary>
    internal sealed class ActivityProtocolLogger : IProtocolLogger
    {
        private readonly IProtocolLogger _log;
        private readonly IdleWatchdog _watchdog;
        private static readonly byte[] EndOfData = { (byte)'\r', (byte)'\n', (byte)'.', (byte)'\r', (byte)'\n' };
        private readonly byte[] _lastWritten = new byte[EndOfData.Length];
        private int _lastWrittenCount;
        private readonly byte[] _firstFromServer = new byte[64];
        private int _firstFromServerCount;

        public ActivityProtocolLogger(IProtocolLogger log, IdleWatchdog watchdog)
        {
            _log = log;
            _watchdog = watchdog;
        }

        public IAuthenticationSecretDetector? AuthenticationSecretDetector
        {
            get => _log.AuthenticationSecretDetector;
            set => _log.AuthenticationSecretDetector = value;
        }

        public void LogConnect(Uri uri)
        {
            _watchdog.ClientMoved();
            _log.LogConnect(uri);
        }

        /// <summary>True once the client's last write ended with the end-of-data marker, until <see cref="ForgetEndOfData"/>.</summary>
        public bool EndOfDataSent { get; private set; }

        /// <summary>Called before each message: the marker of an earlier message says nothing about this one.</summary>
        public void ForgetEndOfData()
        {
            EndOfDataSent = false;
            _lastWrittenCount = 0;
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            _watchdog.ClientMoved();
            RememberTail(buffer, offset, count);
            _log.LogClient(buffer, offset, count);
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            _watchdog.ServerSent(count);
            if (_firstFromServerCount < _firstFromServer.Length)
            {
                var take = Math.Min(count, _firstFromServer.Length - _firstFromServerCount);
                Array.Copy(buffer, offset, _firstFromServer, _firstFromServerCount, take);
                _firstFromServerCount += take;
            }

            _log.LogServer(buffer, offset, count);
        }

        /// <summary>The first bytes the server sent on this connection (its greeting, or whatever it sent instead): empty while it said
        /// nothing.</summary>
        public ArraySegment<byte> FirstFromServer => new ArraySegment<byte>(_firstFromServer, 0, _firstFromServerCount);

        /// <summary>Keeps the last bytes written, across writes: the marker may be split between two of them.</summary>
        private void RememberTail(byte[] buffer, int offset, int count)
        {
            for (var i = Math.Max(0, count - EndOfData.Length); i < count; i++)
            {
                if (_lastWrittenCount == EndOfData.Length)
                {
                    Array.Copy(_lastWritten, 1, _lastWritten, 0, EndOfData.Length - 1);
                    _lastWrittenCount--;
                }

                _lastWritten[_lastWrittenCount++] = buffer[offset + i];
            }

            EndOfDataSent = _lastWrittenCount == EndOfData.Length && _lastWritten.SequenceEqual(EndOfData);
        }

        /// <summary>MailKit disposes its logger with the client; the log behind it decides what that means.</summary>
        public void Dispose() => _log.Dispose();
    }
}
