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
        internal SmtpConnectionException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>
    /// Whatever listens on the port does not speak SMTP (or not with the -Security given): it sent something other
    /// than an SMTP greeting, a TLS record on a plain connection, plain text where TLS was expected, or nothing at all.
    /// It will answer the same way on every try, so it is not retried.
    /// </summary>
    public sealed class SmtpNotSpokenException : System.IO.IOException
    {
        internal SmtpNotSpokenException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>
    /// The whole message was sent (the final dot of DATA) but no reply came: the connection timed out or was
    /// dropped. The server may have accepted it (RFC 1047), so it is not retried automatically: a resend of the spool
    /// may deliver it a second time (at least once, never silently lost).
    /// </summary>
    public sealed class SmtpDeliveryUnconfirmedException : Exception
    {
        internal SmtpDeliveryUnconfirmedException(string message, Exception inner)
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
    }

    /// <summary>
    /// The server refused some recipients only for now (4xx): they are tried again within the backend's retries,
    /// and stay owed (<see cref="Results.BackendResult.PendingRecipients"/>) if it still refuses them.
    /// </summary>
    public sealed class SmtpRecipientsDeferredException : Exception
    {
        internal SmtpRecipientsDeferredException(IReadOnlyList<RejectedRecipient> deferred, int deliveredTo, string note = "")
            : base(Describe(deferred, deliveredTo) + note)
        {
            Deferred = deferred;
            DeliveredTo = deliveredTo;
        }

        /// <summary>The recipients still refused, with the server's last reply for each.</summary>
        public IReadOnlyList<RejectedRecipient> Deferred { get; }

        /// <summary>How many recipients have the message already.</summary>
        public int DeliveredTo { get; }

        private static string Describe(IReadOnlyList<RejectedRecipient> deferred, int deliveredTo) =>
            $"the server refused {deferred.Count} recipient(s) for now: {string.Join("; ", deferred.Select(r => r.ToString()))}" +
            (deliveredTo > 0 ? $" (delivered to the other {deliveredTo})" : string.Empty);
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
