using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using MailKit;
using PSCompositeMail.Delivery;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// One -ProtocolLog file for every connection of a pipeline (several with -ThrottleLimit), readable by its owner
    /// only. Connections write whole lines through this, each naming its connection: "2026-11-27T10:00:00.000Z
    /// [connection 2] C: MAIL FROM:&lt;ops@example.com&gt;".
    /// </summary>
    internal sealed class SharedProtocolLog : IDisposable
    {
        private static readonly byte[] NewLine = Encoding.ASCII.GetBytes(Environment.NewLine);

        private readonly FileStream? _file;
        private readonly string? _refusal;
        private int _connections;
        private int _refusalWarned;

        /// <summary>
        /// Opens the log; a log that is refused (a link, a FIFO, another user's or a read-only file) is remembered, not
        /// thrown: a diagnostics option must not take delivery down, so the sessions send without it.
        /// </summary>
        public SharedProtocolLog(string path)
        {
            try
            {
                // Shared for writing: several processes (scheduled tasks) may log into one file, each line appended whole.
                _file = OwnerOnly.OpenAppend(path, FileShare.ReadWrite, access: FileAccess.ReadWrite);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _refusal = ex.Message;
            }
        }

        /// <summary>A logger for one client; it keeps that client's secret detector, so redaction stays right.</summary>
        /// <param name="includeContent">Whether message content (headers and bodies: personal data) is written too.</param>
        /// <param name="context">The pipeline: its secrets redact a line holding one (a server echoing AUTH data), and it
        /// gets the warning, once, when the log was refused.</param>
        /// <param name="backendName">Names the backend in that warning.</param>
        public IProtocolLogger ForConnection(bool includeContent, DeliveryContext context, string backendName)
        {
            if (_refusal is null)
            {
                return new ConnectionProtocolLogger(this, includeContent, context.Secrets);
            }

            if (Interlocked.Exchange(ref _refusalWarned, 1) == 0)
            {
                context.Warning($"{backendName}: -ProtocolLog is not written, the sessions go on without it: {_refusal}");
            }

            return new NullProtocolLogger();
        }

        public int NextConnectionNumber() => Interlocked.Increment(ref _connections);

        public void WriteLine(int connection, string prefix, byte[] text, int offset, int count)
        {
            var head = Encoding.ASCII.GetBytes(string.Format(
                CultureInfo.InvariantCulture, "{0:yyyy-MM-ddTHH:mm:ss.fffZ} [connection {1}] {2}", DateTime.UtcNow, connection, prefix));
            var line = new byte[head.Length + count + NewLine.Length];
            head.CopyTo(line, 0);
            Array.Copy(text, offset, line, head.Length, count);
            NewLine.CopyTo(line, head.Length + count);
            lock (_file!)
            {
                OwnerOnly.AppendLine(_file, line);
            }
        }

        public void WriteLine(int connection, string prefix, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            WriteLine(connection, prefix, bytes, 0, bytes.Length);
        }

        public void Dispose()
        {
            if (_file is null)
            {
                return;
            }

            lock (_file)
            {
                _file.Dispose();
            }
        }
    }
}
