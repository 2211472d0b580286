using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using PSCompositeMail.Delivery;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// Writes one client's side of the SMTP conversation to the shared log as whole lines: AUTH secrets redacted (the
    /// client's by MailKit's detector, and any line holding a secret the pipeline knows, such as a server's echo),
    /// and, unless content is asked for, each message's data (DATA after the 354 reply, or a BDAT chunk) replaced
    /// by one line saying how long it was, since headers and bodies are personal data.
    /// </summary>
    internal sealed class ConnectionProtocolLogger : IProtocolLogger
    {
        private const string Redacted = "********";
        private static readonly byte[] EndOfData = Encoding.ASCII.GetBytes("\r\n.\r\n");
        private static readonly Regex BdatCommand = new Regex(@"^BDAT (\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private readonly SharedProtocolLog _log;
        private readonly bool _includeContent;
        private readonly SecretRedactor _secrets;
        private readonly MemoryStream _clientLine = new MemoryStream();
        private readonly MemoryStream _serverLine = new MemoryStream();
        private int _connection;

        // Message data being left out: its length so far, and how it ends (a CRLF.CRLF, or a BDAT byte count).
        private bool _inData;
        private long _dataLength;
        private int _endMatched;
        private long _chunkLeft = -1;

        public ConnectionProtocolLogger(SharedProtocolLog log, bool includeContent, SecretRedactor secrets)
        {
            _log = log;
            _includeContent = includeContent;
            _secrets = secrets;
        }

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        public void LogConnect(Uri uri)
        {
            _connection = _log.NextConnectionNumber();
            _clientLine.SetLength(0);
            _serverLine.SetLength(0);
            _inData = false;
            _log.WriteLine(_connection, string.Empty, "Connected to " + uri);
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            var text = Redact(buffer, offset, count);
            var at = 0;
            while (at < text.Length)
            {
                at = _inData ? SkipData(text, at) : Feed(_clientLine, text, at, "C: ", OnClientLine);
            }
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            var at = offset;
            while (at < offset + count)
            {
                at = Feed(_serverLine, buffer, at, "S: ", OnServerLine, offset + count);
            }
        }

        public void Dispose()
        {
            Flush(_clientLine, "C: ");
            Flush(_serverLine, "S: ");
        }

        private void OnClientLine(string line)
        {
            var bdat = BdatCommand.Match(line);
            if (bdat.Success && !_includeContent)
            {
                StartData(long.Parse(bdat.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        private void OnServerLine(string line)
        {
            if (line.StartsWith("354", StringComparison.Ordinal) && !_includeContent)
            {
                StartData(chunk: -1);
            }
        }

        private void StartData(long chunk)
        {
            _inData = true;
            _dataLength = 0;
            _chunkLeft = chunk;

            // The data starts a line, so a "." line right away would end it as well.
            _endMatched = 2;
        }

        /// <summary>Counts message data without writing it; returns where the data ended, or the end of the buffer.</summary>
        private int SkipData(byte[] text, int at)
        {
            var finished = false;
            if (_chunkLeft >= 0)
            {
                var take = (int)Math.Min(_chunkLeft, text.Length - at);
                _chunkLeft -= take;
                _dataLength += take;
                at += take;
                finished = _chunkLeft == 0;
            }
            else
            {
                while (at < text.Length && !finished)
                {
                    var b = text[at++];
                    _dataLength++;
                    _endMatched = b == EndOfData[_endMatched] ? _endMatched + 1 : b == '\r' ? 1 : 0;
                    finished = _endMatched == EndOfData.Length;
                }
            }

            if (finished)
            {
                _inData = false;
                _log.WriteLine(_connection, "C: ", $"[message content not logged: {_dataLength:N0} octets; -ProtocolLogContent logs it]");
            }

            return at;
        }

        /// <summary>Adds bytes to a pending line up to and including the next LF; a complete line is written.</summary>
        private int Feed(MemoryStream line, byte[] bytes, int at, string prefix, Action<string> onLine, int end = -1)
        {
            end = end < 0 ? bytes.Length : end;
            var newLine = Array.IndexOf(bytes, (byte)'\n', at, end - at);
            var stop = newLine < 0 ? end : newLine + 1;
            line.Write(bytes, at, stop - at);
            if (newLine >= 0)
            {
                var length = (int)line.Length - 1;
                var buffer = line.GetBuffer();
                if (length > 0 && buffer[length - 1] == '\r')
                {
                    length--;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, length);
                if (_secrets.Holds(text))
                {
                    // A server that echoes AUTH data (or a secret in a continuation MailKit's detector did not see).
                    _log.WriteLine(_connection, prefix, _secrets.Redact(text));
                }
                else
                {
                    _log.WriteLine(_connection, prefix, buffer, 0, length);
                }

                line.SetLength(0);
                onLine(text);
            }

            return stop;
        }

        private void Flush(MemoryStream line, string prefix)
        {
            if (line.Length > 0)
            {
                _log.WriteLine(_connection, prefix, line.GetBuffer(), 0, (int)line.Length);
                line.SetLength(0);
            }
        }

        /// <summary>The buffer with every secret MailKit's detector finds (AUTH arguments) written as asterisks.</summary>
        private byte[] Redact(byte[] buffer, int offset, int count)
        {
            var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count)
                ?? (IList<AuthenticationSecret>)Array.Empty<AuthenticationSecret>();
            using var redacted = new MemoryStream(count);
            var at = offset;
            foreach (var secret in secrets)
            {
                redacted.Write(buffer, at, secret.StartIndex - at);
                redacted.Write(Encoding.ASCII.GetBytes(Redacted), 0, Redacted.Length);
                at = secret.StartIndex + secret.Length;
            }

            redacted.Write(buffer, at, offset + count - at);
            return redacted.ToArray();
        }
    }
}
