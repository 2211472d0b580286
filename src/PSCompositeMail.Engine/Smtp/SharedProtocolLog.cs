using System;
using MailKit;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// One -ProtocolLog file for every connection of a pipeline (several with -ThrottleLimit): MailKit's logger is
    /// neither thread-safe nor shareable between files, so connections write through this, a line at a time.
    /// </summary>
    internal sealed class SharedProtocolLog : IDisposable
    {
        private readonly ProtocolLogger _file;

        public SharedProtocolLog(string path)
        {
            _file = new ProtocolLogger(path, append: true) { RedactSecrets = true, LogTimestamps = true };
        }

        /// <summary>A logger for one connection; it keeps that connection's secret detector, so redaction stays right.</summary>
        public IProtocolLogger ForConnection() => new ConnectionLogger(this);

        public void Dispose()
        {
            lock (_file)
            {
                _file.Dispose();
            }
        }

        private sealed class ConnectionLogger : IProtocolLogger
        {
            private readonly SharedProtocolLog _log;

            public ConnectionLogger(SharedProtocolLog log)
            {
                _log = log;
            }

            public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

            public void LogConnect(Uri uri) => Write(file => file.LogConnect(uri));

            public void LogClient(byte[] buffer, int offset, int count) => Write(file => file.LogClient(buffer, offset, count));

            public void LogServer(byte[] buffer, int offset, int count) => Write(file => file.LogServer(buffer, offset, count));

            private void Write(Action<ProtocolLogger> write)
            {
                lock (_log._file)
                {
                    _log._file.AuthenticationSecretDetector = AuthenticationSecretDetector;
                    write(_log._file);
                }
            }

            /// <summary>The file belongs to the pipeline and is closed with it.</summary>
            public void Dispose()
            {
            }
        }
    }
}
