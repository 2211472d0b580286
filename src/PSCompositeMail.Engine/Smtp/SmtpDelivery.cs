using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using Polly.CircuitBreaker;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// SMTP delivery for one pipeline: one authenticated connection, opened at the first message and reused,
    /// reopened when the server drops it; transient failures retried, and a relay that is down skipped, by the
    /// backend's <see cref="RelayResilience"/>; never a message resent to a recipient the server accepted it for.
    /// A little over 300 lines: one message's attempt (connection, per-recipient sends, what counts as sent) reads best
    /// in one place; the failure texts, the ledger of owed recipients and the resilience policy already live apart.
    /// </summary>
    internal sealed class SmtpDelivery : IDeliverySession
    {
        private readonly string _name;
        private readonly SmtpSettings _settings;
        private readonly DeliveryContext _context;
        private readonly RelayResilience _resilience;
        private IProtocolLogger? _logger;
        private ReportingSmtpClient? _client;
        private int _sentOnConnection;

        public SmtpDelivery(string name, SmtpSettings settings, DeliveryContext context)
        {
            _name = name;
            _settings = settings;
            _context = context;
            // One breaker per backend for the whole pipeline: every connection of a -ThrottleLimit pipeline shares it.
            _resilience = context.Shared(
                $"smtp-resilience:{name}:{settings.Server}:{settings.Port}",
                () => new RelayResilience(name, settings, context));
        }

        public static BackendTestResult Test(string name, SmtpSettings settings, DeliveryContext context)
        {
            var clock = Stopwatch.StartNew();
            var description = SmtpBackend.Describe(settings);
            return DeliveryAttempt.Run(
                context.CancellationToken,
                () =>
                {
                    using var logger = CreateLogger(settings, context, name);
                    using var client = SmtpConnector.Open(settings, logger, context, name);
                    var capabilities = client.Capabilities.ToString().Split(new[] { ", " }, StringSplitOptions.RemoveEmptyEntries)
                        .Concat(client.AuthenticationMechanisms.Select(m => "AUTH " + m))
                        .ToArray();
                    var tls = SmtpConnector.DescribeTls(client);
                    // Read before QUIT: a disconnected client is no longer authenticated.
                    var authenticated = client.IsAuthenticated;
                    client.Watchdog.Run(t => client.Disconnect(true, t));
                    var login = authenticated ? $"authenticated as {settings.UserName}" : "not authenticated (no credential given)";
                    var (permissions, missing) = SmtpTokenAuthentication.Permissions(settings, context, name);
                    return new BackendTestResult(name, MailBackendKind.Smtp, missing is null, clock.Elapsed,
                        $"{description}: connected, TLS {tls}, {login}", missing)
                    {
                        Tls = tls,
                        Capabilities = capabilities,
                        Authenticated = authenticated,
                        Permissions = permissions,
                    };
                },
                (ex, elapsed) =>
                {
                    // Exchange Online refuses an app token without SMTP.SendAsApp at AUTH: the token says why, and how to grant it.
                    var (permissions, missing) = ex is MailKit.Security.AuthenticationException
                        ? SmtpTokenAuthentication.Permissions(settings, context, name)
                        : (Array.Empty<string>(), null);
                    return new BackendTestResult(name, MailBackendKind.Smtp, false, elapsed, description,
                        context.Secrets.Redact(missing is null ? ex : new MailPermissionException(
                            $"{missing.Message} The server refused the token: {ex.Message}", ex)))
                    {
                        // A refused password or token is a clear no; a failure before authentication (no connection, TLS) says nothing.
                        Authenticated = ex is MailKit.Security.AuthenticationException
                            or TokenRequestException { InnerException: not TimeoutException } ? false : null,
                        Permissions = permissions,
                    };
                });
        }

        /// <summary>One -ProtocolLog file per pipeline, shared by its connections; each connection logs through its own view of it.</summary>
        private static IProtocolLogger CreateLogger(SmtpSettings settings, DeliveryContext context, string backendName) =>
            settings.ProtocolLog is { } path
                ? context.Shared("protocol-log:" + path, () => new SharedProtocolLog(path))
                    .ForConnection(settings.ProtocolLogContent, context, backendName)
                : new NullProtocolLogger();

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
                return new BackendResult(_name, MailBackendKind.Smtp, DeliveryStatus.Failed, clock.Elapsed, _context.Secrets.Redact(ex));
            }

            using (signed)
            {
                return Deliver(OutgoingMessage.Of(signed ?? outgoing), clock);
            }
        }

        private BackendResult Deliver(OutgoingMessage message, Stopwatch clock)
        {
            var token = _context.CancellationToken;
            var ledger = new RecipientLedger(message.Recipients);
            var attempt = new RelayAttempt();
            try
            {
                var reply = _resilience.Execute(attempt, a => Attempt(message, ledger, a), token);
                return new BackendResult(
                    _name,
                    MailBackendKind.Smtp,
                    DeliveryStatus.Sent,
                    clock.Elapsed,
                    rejectedRecipients: ledger.Refused.Select(r => r.Address).ToArray(),
                    detail: reply is null ? null : _context.Secrets.Redact(reply));
            }
            catch (Exception ex) when (!DeliveryAttempt.IsFailure(ex, token))
            {
                // Stopped, or a bug: the connection is in an unknown state either way.
                Drop();
                throw;
            }
            catch (BrokenCircuitException) when (attempt.LastFailure is null)
            {
                return Failed(new SmtpConnectionException(_resilience.DescribeOpenCircuit()), clock, ledger);
            }
            catch (Exception ex)
            {
                // A message whose attempt opened the circuit (a failed probe) reports why that attempt failed.
                var tries = attempt.Number > 1 ? $" (after {attempt.Number} attempts)" : string.Empty;
                return Failed(SmtpFailure.Explain(ex is BrokenCircuitException ? attempt.LastFailure! : ex, tries, _settings), clock, ledger);
            }
        }

        /// <summary>Failed, naming who is still owed the message: a resend or a fallback goes to them only.</summary>
        private BackendResult Failed(Exception error, Stopwatch clock, RecipientLedger ledger) =>
            new BackendResult(
                _name,
                MailBackendKind.Smtp,
                DeliveryStatus.Failed,
                clock.Elapsed,
                _context.Secrets.Redact(error),
                rejectedRecipients: ledger.Refused.Select(r => r.Address).ToArray(),
                pendingRecipients: ledger.OwedAddresses);

        /// <summary>One try at the recipients still owed; throws what the retries and the circuit judge.</summary>
        private string? Attempt(OutgoingMessage message, RecipientLedger ledger, RelayAttempt attempt)
        {
            ReportingSmtpClient? client = null;
            try
            {
                client = Connected();
                attempt.InTransaction = true;
                RequireUtf8WhereNeeded(client, message, ledger.Owed);
                client.Notifications = message.DeliveryNotification;
                if (SmtpFailure.DsnNotPassedOn(client.Capabilities, message.DeliveryNotification, _settings.Server) is { } dsnWarning)
                {
                    _context.Warning($"{_name}: {dsnWarning}");
                }

                var reply = SendToOwed(client, message, ledger);
                ledger.ThrowUnlessSettled();
                return reply;
            }
            catch (Exception ex) when (client is { WholeMessageSent: true } && SmtpFailure.MeansNoReply(ex))
            {
                Drop();
                throw SmtpFailure.Unconfirmed(ex, _settings);
            }
            catch (Exception ex) when (!LeavesConnectionUsable(ex))
            {
                Drop();
                throw;
            }
        }

        /// <summary>
        /// Sends to every owed recipient in as few transactions as the server allows. MailKit ends a transaction
        /// (RSET) when a recipient gets a reply it does not take per recipient (451) or when none was accepted;
        /// the message then goes on to the recipients not refused yet, never to one the server already accepted.
        /// Recipients past the server's limit per transaction (452 4.5.3, "too many recipients") are not a failure:
        /// they get the message in the next transaction, within this attempt (RFC 5321 section 4.5.3.1.10).
        /// </summary>
        private string? SendToOwed(ReportingSmtpClient client, OutgoingMessage message, RecipientLedger ledger)
        {
            // Refusals recorded by a transaction that then failed otherwise are stale.
            client.TakeRejected();
            var pending = ledger.Owed.ToList();
            string? reply = null;
            while (pending.Count > 0)
            {
                try
                {
                    var format = message.RawUtf8Headers ? MimeText.InternationalWire : MimeText.Wire;
                    client.BeginMessage();
                    reply = client.Watchdog.Run(t => client.Send(format, message.Mime, message.EnvelopeSender, pending, t, client.Watchdog));
                    var refused = client.TakeRejected();
                    var overLimit = refused.Where(IsOverRecipientLimit).ToList();
                    WarnAbout(ledger.Refuse(refused.Except(overLimit)));
                    ledger.Deliver(pending.Where(r => !refused.Any(x => string.Equals(x.Address, r.Address, StringComparison.OrdinalIgnoreCase))));
                    if (_context.VerboseEnabled)
                    {
                        _context.Verbose($"{_name}: <{message.MessageId}> accepted: {reply}" +
                            (overLimit.Count > 0 ? $"; {overLimit.Count} recipient(s) over the server's limit per message go in the next transaction"
                                : string.Empty));
                    }

                    CountSent();
                    pending.RemoveAll(r => !overLimit.Any(x => string.Equals(x.Address, r.Address, StringComparison.OrdinalIgnoreCase)));
                    if (pending.Count > 0 && !client.IsConnected)
                    {
                        // The connection ended after MaxMessagesPerConnection: the next transaction opens a new one.
                        client = Connected();
                    }
                }
                catch (SmtpCommandException ex) when (ex.ErrorCode is SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted
                    && client.IsConnected)
                {
                    var refused = client.TakeRejected().ToList();
                    if (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && ex.Mailbox is { } mailbox)
                    {
                        refused.Add(new RejectedRecipient(mailbox.Address, (int)ex.StatusCode, ex.Message));
                    }

                    if (refused.Count == 0)
                    {
                        // The message itself was refused (at DATA or after it): the retries decide.
                        throw;
                    }

                    WarnAbout(ledger.Refuse(refused));
                    pending.RemoveAll(r => refused.Any(x => string.Equals(x.Address, r.Address, StringComparison.OrdinalIgnoreCase)));
                }
            }

            return reply;
        }

        /// <summary>A recipient refused only because the transaction already has as many as the server takes at once.</summary>
        private static bool IsOverRecipientLimit(RejectedRecipient refusal) =>
            refusal.StatusCode == 452 &&
            (refusal.Response.IndexOf("4.5.3", StringComparison.Ordinal) >= 0
                || refusal.Response.IndexOf("too many recipients", StringComparison.OrdinalIgnoreCase) >= 0);

        private void WarnAbout(IEnumerable<RejectedRecipient> refusedForGood)
        {
            foreach (var refusal in refusedForGood)
            {
                _context.Warning($"{_name}: {_settings.Server} refused recipient {refusal}");
            }
        }

        private void CountSent()
        {
            if (++_sentOnConnection >= _settings.MaxMessagesPerConnection)
            {
                _context.Verbose($"{_name}: {_sentOnConnection} messages sent on this connection; the next one opens a new connection");
                Drop();
            }
        }

        /// <summary>An IDN is sent as punycode; a non-ASCII local part, or a header in raw UTF-8 (an id), needs SMTPUTF8.</summary>
        private void RequireUtf8WhereNeeded(ReportingSmtpClient client, OutgoingMessage message, IEnumerable<MailboxAddress> recipients)
        {
            var needy = recipients.Prepend(message.EnvelopeSender).FirstOrDefault(m => !AddressParser.IsAscii(m.LocalPart));
            var what = needy is not null ? $"the address {needy.Address} needs (its local part is not ASCII)"
                : message.RawUtf8Headers ? "the message needs (a header holds non-ASCII text with no ASCII form, such as an address or an id)" : null;
            if (what is not null && !client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
            {
                throw new NotSupportedException($"{_settings.Server} does not offer SMTPUTF8, which {what}. Nothing was sent.");
            }
        }

        /// <summary>A plain refusal leaves the session in a known state; anything else (421, timeouts, I/O) may not.</summary>
        private bool LeavesConnectionUsable(Exception ex) =>
            _client is { IsConnected: true } &&
            ex is SmtpRecipientsRejectedException or SmtpRecipientsDeferredException
                or SmtpCommandException { StatusCode: not SmtpStatusCode.ServiceNotAvailable };

        private ReportingSmtpClient Connected()
        {
            if (_client is { IsConnected: true })
            {
                return _client;
            }

            Drop();
            _sentOnConnection = 0;
            _logger ??= CreateLogger(_settings, _context, _name);
            _client = SmtpConnector.Open(_settings, _logger, _context, _name);
            return _client;
        }

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
            catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException
                or ServiceNotConnectedException or TimeoutException)
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
