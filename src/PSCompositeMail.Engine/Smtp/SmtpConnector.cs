using System;
using System.Linq;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Tokens;
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

            try
            {
                context.Verbose($"{backendName}: connecting to {settings.Server}:{settings.Port} ({settings.Security})");
                Connect(client, settings, validator);
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

        private static void Connect(ReportingSmtpClient client, SmtpSettings settings, CertificateValidator validator)
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
                var mechanism = new XOAuth2Mechanism(settings.OAuthUserName ?? string.Empty, context.OnPipelineThread(fetchToken));
                client.Watchdog.Run(t => client.Authenticate(mechanism, t));
                return;
            }

            var mechanisms = string.Join(", ", client.AuthenticationMechanisms.OrderBy(m => m, StringComparer.Ordinal));
            context.Verbose($"{backendName}: authenticating as {settings.Credential!.UserName} (server offers {mechanisms})");
            try
            {
                client.Watchdog.Run(t => client.Authenticate(settings.Credential, t));
            }
            catch (Exception ex) when (ex is AuthenticationException or SmtpCommandException && SmtpAuthenticationAdvice.ForPassword(ex.Message, settings) is { } advice)
            {
                throw new AuthenticationException(advice, ex);
            }
        }
    }
}
