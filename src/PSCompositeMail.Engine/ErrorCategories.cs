using System;
using System.IO;
using System.Management.Automation;
using System.Net.Sockets;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine
{
    /// <summary>Picks the ErrorCategory a PowerShell user expects for what went wrong.</summary>
    internal static class ErrorCategories
    {
        public static ErrorCategory For(Exception? exception) => exception switch
        {
            MessageValidationException { Problem: MessageProblem.NotFound } => ErrorCategory.ObjectNotFound,
            MessageValidationException { Problem: MessageProblem.NotReadable } => ErrorCategory.ReadError,
            MessageValidationException => ErrorCategory.InvalidArgument,
            OperationCanceledException or TimeoutException or PSCompositeMail.Tokens.TokenRequestException { InnerException: TimeoutException } => ErrorCategory.OperationTimeout,
            MailKit.Security.AuthenticationException or PSCompositeMail.Tokens.TokenRequestException => ErrorCategory.AuthenticationError,
            PSCompositeMail.Graph.GraphRequestException { StatusCode: >= 500 } => ErrorCategory.ConnectionError,
            PSCompositeMail.Graph.GraphRequestException { StatusCode: 404 } => ErrorCategory.ObjectNotFound,
            MailKit.Security.SslHandshakeException or System.Security.Authentication.AuthenticationException => ErrorCategory.SecurityError,
            PSCompositeMail.Smtp.SmtpRecipientsRejectedException => ErrorCategory.InvalidArgument,
            PSCompositeMail.Smtp.SmtpRecipientsDeferredException => ErrorCategory.ResourceUnavailable,
            PSCompositeMail.Smtp.SmtpNotSpokenException => ErrorCategory.ProtocolError,
            PSCompositeMail.Smtp.SmtpDeliveryUnconfirmedException or PSCompositeMail.Smtp.SmtpConnectionException or SocketException or MailKit.ProtocolException or MailKit.ServiceNotConnectedException => ErrorCategory.ConnectionError,
            MailKit.Net.Smtp.SmtpCommandException => ErrorCategory.InvalidOperation,
            UnauthorizedAccessException => ErrorCategory.PermissionDenied,
            NotSupportedException => ErrorCategory.ProtocolError,
            IOException => ErrorCategory.WriteError,
            RuntimeException runtime when runtime.ErrorRecord is not null => runtime.ErrorRecord.CategoryInfo.Category,
            _ => ErrorCategory.InvalidOperation,
        };
    }
}
