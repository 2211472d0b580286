using System;

namespace PSCompositeMail.Messages
{
    /// <summary>What was wrong with a message's input, caught before any backend saw it.</summary>
    public sealed class MessageValidationException : ArgumentException
    {
        internal MessageValidationException(string message, string parameter, object? badValue, MessageProblem problem = MessageProblem.InvalidValue,
            Exception? inner = null)
            : base(message, parameter, inner)
        {
            BadValue = badValue;
            Problem = problem;
            _text = message;
        }

        private readonly string _text;

        /// <summary>The text alone: it already names the parameter, so ArgumentException's suffix would repeat it.</summary>
        public override string Message => _text;

        /// <summary>The value that was refused; the target of the error record.</summary>
        public object? BadValue { get; }

        public MessageProblem Problem { get; }
    }

    public enum MessageProblem
    {
        InvalidValue,
        NotFound,
        NotReadable,
    }
}
