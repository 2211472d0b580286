using System;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Signing
{
    /// <summary>A DKIM key or setting that cannot sign: refused when the backend is made, never at the first send.</summary>
    public sealed class InvalidSigningKeyException : ArgumentException
    {
        internal InvalidSigningKeyException(string message, string parameter, Exception? inner = null, MessageProblem problem =
            MessageProblem.InvalidValue)
            : base(message, parameter, inner)
        {
            _text = message;
            Problem = problem;
        }

        /// <summary>A key file that is missing or unreadable, or a key that cannot sign.</summary>
        public MessageProblem Problem { get; }

        private readonly string _text;

        /// <summary>The text alone: it already names what was wrong, so ArgumentException's suffix would repeat it.</summary>
        public override string Message => _text;
    }
}
