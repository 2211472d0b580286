using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// SMTP delivery for one pipeline: one authenticated connection, opened at the first message and reused,
    /// reopened when the server drops it; transient failures retried with backoff, never a message resent once
    /// the server accepted it.
    /// </summary>
    internal sealed class SmtpDelivery : IDeliverySession
    {
        private static readonly Random Jitter = new Random();
        private readonly string _name;
        private readonly SmtpSettings _settings;
        private readonly DeliveryContext _context;
        private IProtocolLogger? _logger;
        private ReportingSmtpClient? _client;
        private int _sentOnConnection;

        public SmtpDelivery(string name, SmtpSettings settings, DeliveryContext context)
        {
            _name = name;
            _settings = settings;
            _context = context;
        }

        public static BackendTestResult Test(string name, SmtpSettings settings, DeliveryContext context)
        {
            var clock = Stopwatch.StartNew();
            var description = SmtpBackend.Describe(settings);
            return DeliveryAttempt.Run(
                context.CancellationToken,
                () =>
                {
                    using var logger = CreateLogger(settings, context);
                    using var client = SmtpConnector.Open(settings, logger, context, name);
                    var capabilities = client.Capabilities.ToString().Split(new[] { ", " }, StringSplitOptions.RemoveEmptyEntries)
                        .Concat(client.AuthenticationMechanisms.Select(m => "AUTH " + m))
                        .ToArray();
                    var tls = SmtpConnector.DescribeTls(client);
                    client.Watchdog.Run(t => client.Disconnect(true, t));
                    return new BackendTestResult(name, MailBackendKind.Smtp, true, clock.Elapsed, $"{description}: connected, TLS {tls}, authenticated: {client.IsAuthenticated}")
                    {
                        Tls = tls,
                        Capabilities = capabilities,
                    };
                },
                (ex, elapsed) => new BackendTestResult(name, MailBackendKind.Smtp, false, elapsed, description, ex));
        }

        /// <summary>One -ProtocolLog file per pipeline, shared by its connections; each connection logs through its own view of it.</summary>
        private static IProtocolLogger CreateLogger(SmtpSettings settings, DeliveryContext context) =>
            settings.ProtocolLog is { } path
                ? context.Shared("protocol-log:" + path, () => new SharedProtocolLog(path)).ForConnection()
                : new NullProtocolLogger();

        /// <summary>Connection trouble and 4xx replies may clear up; anything else will fail the same way again.</summary>
        internal static bool IsTransient(Exception exception) => exception switch
        {
            SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
            SmtpRecipientsRejectedException rejected => rejected.Temporary,
            SmtpSecurityException or MailKit.Security.AuthenticationException or MailKit.Security.SslHandshakeException => false,
            SocketException socket => socket.SocketErrorCode is not (SocketError.HostNotFound or SocketError.NoData),
            SmtpProtocolException or ServiceNotConnectedException or IOException or TimeoutException => true,
            _ => false,
        };

        /// <summary>Exponential backoff with ±50 % jitter, so many senders retrying at once spread out.</summary>
        internal static TimeSpan Backoff(TimeSpan interval, int attempt)
        {
            double factor;
            lock (Jitter)
            {
                factor = 0.5 + Jitter.NextDouble();
            }

            return TimeSpan.FromMilliseconds(interval.TotalMilliseconds * Math.Pow(2, attempt - 1) * factor);
        }

        public BackendResult Deliver(IOutgoingMessage outgoing)
        {
            var clock = Stopwatch.StartNew();
            IOutgoingMessage? signed;
            try
            {
                // Signed once per message, not per attempt: a retry sends the very bytes the first attempt tried.
                signed = _settings.Dkim?.Signer.Sign(outgoing);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new BackendResult(_name, MailBackendKind.Smtp, DeliveryStatus.Failed, clock.Elapsed, ex);
            }

            using (signed)
            {
                return Deliver((OutgoingMessage)(signed ?? outgoing), clock);
            }
        }

        private BackendResult Deliver(OutgoingMessage message, Stopwatch clock)
        {
            var token = _context.CancellationToken;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var client = Connected();
                    RequireUtf8WhereNeeded(client, message);
                    client.Notifications = message.DeliveryNotification;
                    var reply = client.Watchdog.Run(t => client.Send(MimeText.Wire, message.Mime, message.EnvelopeSender, message.Recipients, t, client.Watchdog));
                    var rejected = client.TakeRejected();
                    if (_context.VerboseEnabled)
                    {
                        _context.Verbose($"{_name}: <{message.MessageId}> accepted: {reply}");
                    }
                    foreach (var refusal in rejected)
                    {
                        _context.Warning($"{_name}: {_settings.Server} refused recipient {refusal}");
                    }

                    if (++_sentOnConnection >= _settings.MaxMessagesPerConnection)
                    {
                        _context.Verbose($"{_name}: {_sentOnConnection} messages sent on this connection; the next one opens a new connection");
                        Drop();
                    }

                    return new BackendResult(
                        _name,
                        MailBackendKind.Smtp,
                        DeliveryStatus.Sent,
                        clock.Elapsed,
                        rejectedRecipients: rejected.Select(r => r.Address).ToArray(),
                        detail: reply);
                }
                catch (Exception ex) when (!DeliveryAttempt.IsFailure(ex, token))
                {
                    // Stopped, or a bug: the connection is in an unknown state either way.
                    Drop();
                    throw;
                }
                catch (Exception ex)
                {
                    _client?.TakeRejected();
                    if (!LeavesConnectionUsable(ex))
                    {
                        Drop();
                    }

                    if (!IsTransient(ex) || attempt > _settings.RetryCount)
                    {
                        var tries = attempt == 1 ? string.Empty : $" (after {attempt} attempts)";
                        return new BackendResult(_name, MailBackendKind.Smtp, DeliveryStatus.Failed, clock.Elapsed, Explain(ex, tries));
                    }

                    var delay = Backoff(_settings.RetryInterval, attempt);
                    _context.Verbose($"{_name}: attempt {attempt} failed ({ex.Message}); retrying in {delay.TotalSeconds:0.0} s");
                    if (token.WaitHandle.WaitOne(delay))
                    {
                        token.ThrowIfCancellationRequested();
                    }
                }
            }
        }

        /// <summary>An internationalized domain is sent as punycode; a non-ASCII local part has no ASCII form and needs SMTPUTF8.</summary>
        private void RequireUtf8WhereNeeded(ReportingSmtpClient client, OutgoingMessage message)
        {
            if (client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
            {
                return;
            }

            var needy = message.Recipients.Prepend(message.EnvelopeSender).FirstOrDefault(m => !IsAscii(m.LocalPart));
            if (needy is not null)
            {
                throw new NotSupportedException(
                    $"{_settings.Server} does not offer SMTPUTF8, which the address {needy.Address} needs (its local part is not ASCII). Nothing was sent.");
            }
        }

        private static bool IsAscii(string text) => text.All(c => c < 128);

        /// <summary>A plain refusal leaves the session in a known state; anything else (421, timeouts, I/O) may not.</summary>
        private bool LeavesConnectionUsable(Exception ex) =>
            _client is { IsConnected: true } &&
            ex is SmtpRecipientsRejectedException or SmtpCommandException { StatusCode: not SmtpStatusCode.ServiceNotAvailable };

        private ReportingSmtpClient Connected()
        {
            if (_client is { IsConnected: true })
            {
                return _client;
            }

            Drop();
            _sentOnConnection = 0;
            _logger ??= CreateLogger(_settings, _context);
            _client = SmtpConnector.Open(_settings, _logger, _context, _name);
            return _client;
        }

        private Exception Explain(Exception ex, string tries)
        {
            var where = $"{_settings.Server}:{_settings.Port}";
            return ex switch
            {
                SocketException socket => new SmtpConnectionException($"Could not connect to {where}: {socket.Message}{tries}", socket),
                TimeoutException => new TimeoutException(
                    $"{where} did not answer within {_settings.Timeout.TotalSeconds:0} s{tries}", ex),
                SmtpCommandException command when SmtpAuthenticationAdvice.ForSendAs(command.Message, _settings) is { } advice =>
                    new SmtpCommandException(command.ErrorCode, command.StatusCode, advice + tries, command),
                SmtpCommandException { Mailbox: { } mailbox } command when tries.Length == 0 => new SmtpCommandException(command.ErrorCode, command.StatusCode, mailbox, WithReplyCode(command), command),
                SmtpCommandException command when tries.Length == 0 => new SmtpCommandException(command.ErrorCode, command.StatusCode, WithReplyCode(command), command),
                _ when tries.Length > 0 => new SmtpConnectionException((ex is SmtpCommandException command ? WithReplyCode(command) : ex.Message) + tries, ex),
                _ => ex,
            };
        }

        /// <summary>MailKit's message leaves out the server's reply code (451, 554), which is what an administrator looks up.</summary>
        private static string WithReplyCode(SmtpCommandException command) => $"{(int)command.StatusCode} {command.Message}";

        private void Drop()
        {
            var client = _client;
            _client = null;
            if (client is null)
            {
                return;
            }

            try
            {
                if (client.IsConnected && !_context.CancellationToken.IsCancellationRequested)
                {
                    client.Watchdog.Run(t => client.Disconnect(true, t));
                }
            }
            catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or ServiceNotConnectedException or TimeoutException)
            {
                // The connection is being thrown away; a failed QUIT changes nothing.
            }
            finally
            {
                client.Dispose();
            }
        }

        public void Dispose()
        {
            Drop();
            _logger?.Dispose();
            _logger = null;
        }
    }
}
