using System;

namespace PSCompositeMail.Signing
{
    /// <summary>A DKIM key or setting that cannot sign: refused when the backend is made, never at the first send.</summary>
    public sealed class InvalidSigningKeyException : ArgumentException
    {
        internal InvalidSigningKeyException(string message, string parameter, Exception? inner = null)
            : base(message, parameter, inner)
        {
            _text = message;
        }

        private readonly string _text;

        /// <summary>The text alone: it already names what was wrong, so ArgumentException's suffix would repeat it.</summary>
        public override string Message => _text;
    }
}
