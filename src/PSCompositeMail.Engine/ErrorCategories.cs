using System;
using System.Management.Automation;

namespace PSCompositeMail.Engine
{
    /// <summary>
    /// The ErrorCategory of an exception MailKit raises; the module's own exceptions and .NET's are categorised in the
    /// module (PSCompositeMail.Sending.ErrorCategories), which asks here only for what it does not know.
    /// </summary>
    internal static class ErrorCategories
    {
        public static ErrorCategory? ForLibraryError(Exception exception) => exception switch
        {
            MailKit.Security.AuthenticationException => ErrorCategory.AuthenticationError,
            MailKit.Security.SslHandshakeException => ErrorCategory.SecurityError,
            MailKit.ProtocolException or MailKit.ServiceNotConnectedException => ErrorCategory.ConnectionError,
            MailKit.Net.Smtp.SmtpCommandException => ErrorCategory.InvalidOperation,
            _ => null,
        };
    }
}
