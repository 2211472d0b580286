using System;
using System.IO;
using System.Linq;
using MailKit.Net.Smtp;
using PSCompositeMail.Delivery;
using PSCompositeMail.Graph;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine
{
    /// <summary>
    /// An exception whose text came from a server (MailKit's exceptions quote the reply; MSAL's quote the token
    /// endpoint) is redacted before a session hands it on: results, error records, the spool and every log see only
    /// the redacted copy. The copy is of the same kind (same type where it can be made, else one of the same error
    /// category), and its inner exceptions are redacted copies too, so no secret stays reachable through
    /// InnerException. An exception that holds no secret is handed on as it is.
    /// </summary>
    internal static class SecretRedaction
    {
        public static Exception Redact(this SecretRedactor secrets, Exception exception) =>
            secrets.IsEmpty || !HoldsSecret(secrets, exception) ? exception : Copy(secrets, exception);

        private static bool HoldsSecret(SecretRedactor secrets, Exception exception)
        {
            for (var current = exception; current is not null; current = current.InnerException)
            {
                if (secrets.Holds(current.Message) || current is AggregateException aggregate
                    && aggregate.InnerExceptions.Any(e => HoldsSecret(secrets, e)))
                {
                    return true;
                }
            }

            return false;
        }

        private static Exception Copy(SecretRedactor secrets, Exception exception)
        {
            // MailKit's constructors take a null inner exception as the base class does; only their annotations say otherwise.
            var inner = exception.InnerException is { } original ? Copy(secrets, original) : null!;
            var message = secrets.Redact(exception.Message);
            return exception switch
            {
                SmtpCommandException { Mailbox: { } mailbox } command =>
                    new SmtpCommandException(command.ErrorCode, command.StatusCode, mailbox, message, inner),
                SmtpCommandException command => new SmtpCommandException(command.ErrorCode, command.StatusCode, message, inner),
                SmtpProtocolException => new SmtpProtocolException(message, inner),
                MailKit.ServiceNotConnectedException => new MailKit.ServiceNotConnectedException(message, inner),
                MailKit.Security.SslHandshakeException => new MailKit.Security.SslHandshakeException(message, inner),
                MailKit.Security.AuthenticationException => new MailKit.Security.AuthenticationException(message, inner),
                SmtpSecurityException => new SmtpSecurityException(message, inner),
                SmtpConnectionException => new SmtpConnectionException(message, inner),
                SmtpDeliveryUnconfirmedException => new SmtpDeliveryUnconfirmedException(message, inner ?? new IOException(message)),
                SmtpRecipientsRejectedException rejected => new SmtpRecipientsRejectedException(rejected.Rejected.Select(r => Redact(secrets, r))
                    .ToArray()),
                SmtpRecipientsDeferredException deferred => new SmtpRecipientsDeferredException(
                    deferred.Deferred.Select(r => Redact(secrets, r)).ToArray(), deferred.DeliveredTo, Note(secrets, deferred)),
                TokenRequestException => new TokenRequestException(message, inner),
                MailPermissionException => new MailPermissionException(message, inner),
                GraphRequestException graph => new GraphRequestException(message, graph.StatusCode,
                    graph.ErrorCode is null ? null : secrets.Redact(graph.ErrorCode), graph.RequestId, inner),
                TimeoutException => new TimeoutException(message, inner),
                System.Security.Authentication.AuthenticationException => new System.Security.Authentication.AuthenticationException(message, inner),
                UnauthorizedAccessException => new UnauthorizedAccessException(message, inner),
                NotSupportedException => new NotSupportedException(message, inner),
                IOException => new IOException(message, inner),
                _ => new InvalidOperationException(message, inner),
            };
        }

        private static RejectedRecipient Redact(SecretRedactor secrets, RejectedRecipient recipient) =>
            new RejectedRecipient(recipient.Address, recipient.StatusCode, secrets.Redact(recipient.Response));

        /// <summary>What a deferral's message adds after its list (the attempts), redacted with the rest.</summary>
        private static string Note(SecretRedactor secrets, SmtpRecipientsDeferredException deferred)
        {
            var described = new SmtpRecipientsDeferredException(deferred.Deferred, deferred.DeliveredTo).Message;
            return deferred.Message.StartsWith(described, StringComparison.Ordinal) ? secrets.Redact(deferred.Message.Substring(described.Length))
                : string.Empty;
        }
    }
}
