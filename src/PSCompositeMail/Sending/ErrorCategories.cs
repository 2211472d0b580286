using System;
using System.IO;
using System.Management.Automation;
using System.Net.Sockets;
using PSCompositeMail.Graph;
using PSCompositeMail.Messages;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// Picks the ErrorCategory a PowerShell user expects for what went wrong. This assembly's exceptions and .NET's are
    /// decided here, so that an invalid message is categorised without loading MailKit; only an exception none of
    /// these are goes to the engine, which knows its libraries' own.
    /// </summary>
    internal static class ErrorCategories
    {
        public static ErrorCategory For(Exception? exception, ISendEngine engine) => exception switch
        {
            MessageValidationException { Problem: MessageProblem.NotFound } => ErrorCategory.ObjectNotFound,
            MessageValidationException { Problem: MessageProblem.NotReadable } => ErrorCategory.ReadError,
            MessageValidationException => ErrorCategory.InvalidArgument,
            OperationCanceledException or TimeoutException => ErrorCategory.OperationTimeout,
            TokenRequestException { InnerException: TimeoutException } => ErrorCategory.OperationTimeout,
            TokenRequestException => ErrorCategory.AuthenticationError,
            GraphRequestException { StatusCode: >= 500 } => ErrorCategory.ConnectionError,
            GraphRequestException { StatusCode: 404 } => ErrorCategory.ObjectNotFound,
            System.Security.Authentication.AuthenticationException => ErrorCategory.SecurityError,
            SmtpRecipientsRejectedException => ErrorCategory.InvalidArgument,
            SmtpRecipientsDeferredException => ErrorCategory.ResourceUnavailable,
            SmtpNotSpokenException => ErrorCategory.ProtocolError,
            SmtpDeliveryUnconfirmedException or SmtpConnectionException or SocketException => ErrorCategory.ConnectionError,
            UnauthorizedAccessException => ErrorCategory.PermissionDenied,
            NotSupportedException => ErrorCategory.ProtocolError,
            IOException => ErrorCategory.WriteError,
            RuntimeException runtime when runtime.ErrorRecord is not null => runtime.ErrorRecord.CategoryInfo.Category,
            null => ErrorCategory.InvalidOperation,
            _ => engine.CategoryOfLibraryError(exception) ?? ErrorCategory.InvalidOperation,
        };
    }
}
