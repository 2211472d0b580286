using System;
using System.Linq;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Messages;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>Opens one connected, secured and authenticated SMTP client as the settings ask, or fails saying why.</summary>
    internal static class SmtpConnector
    {
        public static ReportingSmtpClient Open(SmtpSettings settings, IProtocolLogger logger, DeliveryContext context, string backendName)
        {
            var validator = new CertificateValidator(settings);
            var watchdog = new IdleWatchdog(context.CancellationToken, settings.Timeout);
            var client = new ReportingSmtpClient(new ActivityProtocolLogger(logger, watchdog), watchdog)
            {
                Timeout = (int)settings.Timeout.TotalMilliseconds,
                CheckCertificateRevocation = !settings.SkipCertificateCheck,
                ServerCertificateValidationCallback = validator.Validate,
            };
            if (!string.IsNullOrEmpty(settings.LocalDomain))
            {
                client.LocalDomain = settings.LocalDomain;
            }

            // Known before the first byte: a server may quote a secret it got on an earlier connection, even in its greeting.
            context.Secrets.AddPassword(settings.Credential?.UserName, settings.Credential?.Password);
            if (settings.Tokens is { } tokens)
            {
                context.Secrets.AddTokenCredentials(tokens);
            }

            try
            {
                context.Verbose($"{backendName}: connecting to {settings.Server}:{settings.Port} ({settings.Security})");
                Connect(client, settings, validator, context.CancellationToken);
                if (validator.Note is { } note)
                {
                    context.Verbose($"{backendName}: {note}");
                }

                context.Verbose(client.IsEncrypted
                    ? $"{backendName}: connected, {client.SslProtocol} with {client.SslCipherAlgorithm} ({client.SslCipherStrength} bit)"
                    : $"{backendName}: connected without encryption");
                Authenticate(client, settings, context, backendName);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        public static string DescribeTls(SmtpClient client) =>
            client.IsEncrypted ? $"{client.SslProtocol} {client.SslCipherAlgorithm} {client.SslCipherStrength}" : "none";

        private static void Connect(ReportingSmtpClient client, SmtpSettings settings, CertificateValidator validator,
            System.Threading.CancellationToken cancellation)
        {
            var options = settings.Security switch
            {
                SmtpSecurity.None => SecureSocketOptions.None,
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.StartTlsWhenAvailable => SecureSocketOptions.StartTlsWhenAvailable,
                _ => SecureSocketOptions.StartTls,
            };
            try
            {
                client.Watchdog.Run(t => client.Connect(settings.Server, settings.Port, options, t));
            }
            catch (TimeoutException ex) when (client.FirstFromServer.Count == 0 && ex is not ReplyTooSlowException)
            {
                throw new NoGreetingException(ex);
            }
            catch (SmtpProtocolException ex) when (client.FirstFromServer.Count > 0 && !IsSmtpReply(client.FirstFromServer))
            {
                throw new SmtpNotSpokenException(NotAGreeting(client.FirstFromServer, settings), ex);
            }
            catch (SslHandshakeException ex) when (options == SecureSocketOptions.SslOnConnect && validator.Rejection is null &&
                PlainGreeting(settings, cancellation) is { } greeting)
            {
                throw new SmtpNotSpokenException(
                    $"{settings.Server}:{settings.Port} did not speak TLS on that port: it greets in plain text ('{greeting}'), so -Security " +
                    "SslOnConnect " +
                    "(TLS from the first byte, usually port 465) does not fit it. Use -Security StartTls there (TLS after the plain greeting, " +
                    "usually port 587 or 25). Nothing was sent.",
                    ex);
            }
            catch (SslHandshakeException ex) when (validator.Rejection is { } reason)
            {
                // Send-MailMessage without -UseSsl never encrypted; its renamed call tries STARTTLS and checks the
                // certificate, so an internal relay's self-signed one lands here: say how to keep plain text too.
                var plain = options == SecureSocketOptions.StartTlsWhenAvailable
                    ? " To send unencrypted on purpose, as Send-MailMessage without -UseSsl did, use -Security None."
                    : string.Empty;
                throw new SmtpSecurityException(
                    $"The TLS certificate of {settings.Server}:{settings.Port} was refused: {reason}. " +
                    "To trust this certificate, pin it with -CertificateThumbprint; -SkipCertificateCheck turns all checks off." + plain,
                    ex);
            }
            catch (NotSupportedException ex) when (options == SecureSocketOptions.StartTls)
            {
                var why = settings.SecurityGiven ? "-Security StartTls requires it" : "encryption is required when -Security is omitted";
                throw new SmtpSecurityException(
                    $"{settings.Server}:{settings.Port} does not offer STARTTLS and {why}. Nothing was sent. " +
                    "To send unencrypted on purpose, use -Security StartTlsWhenAvailable or -Security None (without -UseSsl).",
                    ex);
            }
        }

        /// <summary>What the server sent instead of an SMTP greeting, said in words: TLS, HTTP, or its first line (escaped).</summary>
        private static string NotAGreeting(ArraySegment<byte> sent, SmtpSettings settings)
        {
            var where = $"{settings.Server}:{settings.Port}";
            var first = sent.Array![sent.Offset];
            if (first is 0x15 or 0x16)
            {
                var record = first == 0x15 ? "a TLS alert" : "a TLS handshake record";
                return $"{where} is not an SMTP server on a plain connection: it sent {record}, so it expects TLS from the first byte. " +
                    "Use -Security SslOnConnect for such a port (usually 465). Nothing was sent.";
            }

            var text = System.Text.Encoding.ASCII.GetString(sent.Array, sent.Offset, sent.Count);
            var line = FirstLine(text);
            var what = text.StartsWith("HTTP/", StringComparison.Ordinal) ? " (it answers like a web server)" : string.Empty;
            return $"{where} is not an SMTP server{what}: it sent '{line}' instead of an SMTP greeting (220). Check -SmtpServer and -Port. Nothing " +
                "was sent.";
        }

        /// <summary>Whether the server's first bytes begin like an SMTP reply (three digits): a protocol error after that is not about the
        /// greeting.</summary>
        private static bool IsSmtpReply(ArraySegment<byte> sent) =>
            sent.Count >= 3 && Enumerable.Range(sent.Offset, 3).All(i => sent.Array![i] is >= (byte)'0' and <= (byte)'9');

        /// <summary>A server's first line, to quote in an error: escaped, since it came from outside.</summary>
        private static string FirstLine(string text) => ControlCharacters.Escape(text.Split('\n')[0].TrimEnd('\r'));

        /// <summary>
        /// After a TLS handshake that failed on a port given as SslOnConnect, for no certificate reason: whether the
        /// server greets in plain text there. Returns its greeting line (escaped), or null when it does not.
        /// </summary>
        private static string? PlainGreeting(SmtpSettings settings, System.Threading.CancellationToken cancellation)
        {
            var limit = TimeSpan.FromTicks(Math.Min(settings.Timeout.Ticks, TimeSpan.FromSeconds(10).Ticks));
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                if (!tcp.ConnectAsync(settings.Server, settings.Port).Wait((int)limit.TotalMilliseconds, cancellation))
                {
                    return null;
                }

                var stream = tcp.GetStream();
                stream.ReadTimeout = (int)limit.TotalMilliseconds;
                var buffer = new byte[128];
                var read = stream.Read(buffer, 0, buffer.Length);
                var text = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
                return text.StartsWith("220", StringComparison.Ordinal) ? FirstLine(text) : null;
            }
            catch (Exception ex) when (ex is System.IO.IOException or System.Net.Sockets.SocketException or AggregateException
                or OperationCanceledException)
            {
                return null;
            }
        }

        private static void Authenticate(ReportingSmtpClient client, SmtpSettings settings, DeliveryContext context, string backendName)
        {
            if (settings.Credential is null && settings.OAuthToken is null && settings.Tokens is null)
            {
                return;
            }

            if (!client.IsEncrypted && settings.Security != SmtpSecurity.None)
            {
                throw new SmtpSecurityException(
                    $"{settings.Server}:{settings.Port} offers no encryption, and a credential is never sent in clear text. " +
                    "Nothing was sent. Use a server that offers TLS, or -Security None to send the credential unencrypted on purpose.");
            }

            if (settings.Tokens is not null)
            {
                SmtpTokenAuthentication.Authenticate(client, settings, context, backendName);
                return;
            }

            if (settings.OAuthToken is { } fetchToken)
            {
                context.Verbose($"{backendName}: authenticating as {settings.OAuthUserName} with XOAUTH2");
                var token = context.OnPipelineThread(fetchToken);
                context.Secrets.AddBearerToken(settings.OAuthUserName, token);
                var mechanism = new XOAuth2Mechanism(settings.OAuthUserName ?? string.Empty, token);
                client.Watchdog.Run(t => client.Authenticate(mechanism, t));
                return;
            }

            var mechanisms = string.Join(", ", client.AuthenticationMechanisms.OrderBy(m => m, StringComparer.Ordinal));
            context.Verbose($"{backendName}: authenticating as {settings.Credential!.UserName} (server offers {mechanisms})");
            try
            {
                client.Watchdog.Run(t => client.Authenticate(settings.Credential, t));
            }
            catch (Exception ex) when (ex is AuthenticationException or SmtpCommandException
                && SmtpAuthenticationAdvice.ForPassword(ex.Message, settings) is { } advice)
            {
                throw new AuthenticationException(advice, ex);
            }
        }
    }
}
