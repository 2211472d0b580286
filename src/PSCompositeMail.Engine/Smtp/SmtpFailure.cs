using System;
using System.Net.Sockets;
using MailKit.Net.Smtp;
using DeliveryNotificationOptions = System.Net.Mail.DeliveryNotificationOptions;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>What a failed SMTP delivery tells the user: where it failed, the server's reply code, the advice that fits, how many
    /// attempts.</summary>
    internal static class SmtpFailure
    {
        /// <summary>
        /// A DSN request to a server that did not announce DSN: MailKit leaves the NOTIFY arguments out, so the request
        /// would vanish unseen (Send-MailMessage drops it silently too). Null when there is nothing to say.
        /// </summary>
        public static string? DsnNotPassedOn(SmtpCapabilities capabilities, DeliveryNotificationOptions requested, string server) =>
            requested != DeliveryNotificationOptions.None && !capabilities.HasFlag(SmtpCapabilities.Dsn)
                ? $"{server} does not offer DSN, so -DeliveryNotificationOption {requested} is not passed on; no delivery notifications will come."
                : null;

        public static Exception Explain(Exception ex, string tries, SmtpSettings settings)
        {
            var where = $"{settings.Server}:{settings.Port}";
            return ex switch
            {
                SocketException socket => new SmtpConnectionException($"Could not connect to {where}: {socket.Message}{tries}", socket),
                ReplyTooLargeException => new SmtpProtocolException($"{where}: {ex.Message}{tries}", ex),
                ReplyTooSlowException => new TimeoutException($"{where}: {ex.Message}{tries}", ex),
                NoGreetingException => new TimeoutException($"{where} did not answer within {settings.Timeout.TotalSeconds:0} s: {ex.Message}{tries}",
                    ex),
                TimeoutException => new TimeoutException(
                    $"{where} did not answer within {settings.Timeout.TotalSeconds:0} s{tries}", ex),
                SmtpDeliveryUnconfirmedException unconfirmed => new SmtpDeliveryUnconfirmedException(unconfirmed.Message + tries,
                    unconfirmed.InnerException!),
                SmtpRecipientsDeferredException deferred => new SmtpRecipientsDeferredException(deferred.Deferred, deferred.DeliveredTo, tries),
                SmtpCommandException command when SmtpAuthenticationAdvice.ForSendAs(command.Message, settings) is { } advice =>
                    new SmtpCommandException(command.ErrorCode, command.StatusCode, advice + tries, command),
                SmtpCommandException { Mailbox: { } mailbox } command when tries.Length == 0 =>
                    new SmtpCommandException(command.ErrorCode, command.StatusCode, mailbox, WithReplyCode(command), command),
                SmtpCommandException command when tries.Length == 0 =>
                    new SmtpCommandException(command.ErrorCode, command.StatusCode, WithReplyCode(command), command),
                _ when tries.Length > 0 => new SmtpConnectionException((ex is SmtpCommandException command ? WithReplyCode(command) : ex.Message)
                    + tries, ex),
                _ => ex,
            };
        }

        /// <summary>The reply never came: the connection timed out or was dropped (a reply, even 421, is an answer).</summary>
        public static bool MeansNoReply(Exception ex) =>
            ex is TimeoutException or System.IO.IOException or SmtpProtocolException or MailKit.ServiceNotConnectedException;

        /// <summary>The message went out whole and no reply came: the server may have it, so it must not be sent again by a retry.</summary>
        public static Exception Unconfirmed(Exception ex, SmtpSettings settings) =>
            new SmtpDeliveryUnconfirmedException(
                $"{settings.Server}:{settings.Port}: the server did not answer after the whole message was sent; it may have been delivered, " +
                $"so it is not retried automatically ({ex.Message})",
                ex);

        /// <summary>MailKit's message leaves out the server's reply code (451, 554), which is what an administrator looks up.</summary>
        private static string WithReplyCode(SmtpCommandException command) => $"{(int)command.StatusCode} {command.Message}";
    }
}
