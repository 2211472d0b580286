using System;
using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Smtp
{
    /// <summary>The connection could not be made as secure as asked: no STARTTLS, a refused certificate, a credential over clear text.</summary>
    public sealed class SmtpSecurityException : System.Security.Authentication.AuthenticationException
    {
        internal SmtpSecurityException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>The server could not be reached, dropped the connection, or did not answer in time.</summary>
    public sealed class SmtpConnectionException : System.IO.IOException
    {
        internal SmtpConnectionException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }

    /// <summary>The server accepted none of the message's recipients.</summary>
    public sealed class SmtpRecipientsRejectedException : Exception
    {
        internal SmtpRecipientsRejectedException(IReadOnlyList<RejectedRecipient> rejected)
            : base("The server accepted none of the recipients: " + string.Join("; ", rejected.Select(r => r.ToString())))
        {
            Rejected = rejected;
        }

        public IReadOnlyList<RejectedRecipient> Rejected { get; }

        /// <summary>True when every refusal was temporary (4xx), so trying again later may work.</summary>
        public bool Temporary => Rejected.All(r => r.StatusCode is >= 400 and < 500);
    }

    public sealed class RejectedRecipient
    {
        internal RejectedRecipient(string address, int statusCode, string response)
        {
            Address = address;
            StatusCode = statusCode;
            Response = response;
        }

        public string Address { get; }

        public int StatusCode { get; }

        public string Response { get; }

        public override string ToString() => $"{Address}: {StatusCode} {Response}";
    }
}
