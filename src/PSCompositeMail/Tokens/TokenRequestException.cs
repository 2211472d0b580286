using System;

namespace PSCompositeMail.Tokens
{
    /// <summary>No access token could be had: the identity provider refused the app, or could not be reached. The message names the setting to
    /// check.</summary>
    public sealed class TokenRequestException : Exception
    {
        internal TokenRequestException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>The service refused the request with a valid token (Graph 403): the app lacks a permission or a policy excludes the
    /// mailbox.</summary>
    public sealed class MailPermissionException : UnauthorizedAccessException
    {
        internal MailPermissionException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }
}
