using System;

namespace PSCompositeMail.Graph
{
    /// <summary>Microsoft Graph answered with an error. <see cref="RequestId"/> is what Microsoft support asks for.</summary>
    public sealed class GraphRequestException : Exception
    {
        internal GraphRequestException(string message, int statusCode, string? errorCode, string? requestId, Exception? inner = null)
            : base(message, inner)
        {
            StatusCode = statusCode;
            ErrorCode = errorCode;
            RequestId = requestId;
        }

        /// <summary>The HTTP status, such as 400 or 503.</summary>
        public int StatusCode { get; }

        /// <summary>Graph's error code, such as ErrorInvalidRecipients.</summary>
        public string? ErrorCode { get; }

        public string? RequestId { get; }
    }
}
