using System;
using MailKit;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// MailKit reports every read from and write to the server to its protocol logger, whether or not a log is
    /// kept: this one passes each report on and tells the watchdog that the connection moved, so -TimeoutSec
    /// bounds each reply instead of a whole exchange (a greeting and EHLO, or MAIL, RCPT, DATA and the data).
    /// </summary>
    internal sealed class ActivityProtocolLogger : IProtocolLogger
    {
        private readonly IProtocolLogger _log;
        private readonly IdleWatchdog _watchdog;

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
            _watchdog.Touch();
            _log.LogConnect(uri);
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            _watchdog.Touch();
            _log.LogClient(buffer, offset, count);
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            _watchdog.Touch();
            _log.LogServer(buffer, offset, count);
        }

        /// <summary>MailKit disposes its logger with the client; the log behind it decides what that means.</summary>
        public void Dispose() => _log.Dispose();
    }
}
