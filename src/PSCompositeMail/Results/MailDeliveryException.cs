using System;
using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Results
{
    /// <summary>A message failed its policy; <see cref="Failures"/> holds what each failed backend reported, inside composites too.</summary>
    public sealed class MailDeliveryException : Exception
    {
        internal MailDeliveryException(string message, IEnumerable<BackendResult> failures)
            : base(message)
        {
            Failures = failures.ToArray();
        }

        public IReadOnlyList<BackendResult> Failures { get; }

        /// <summary>The first failed backend's own exception: it decides the error category.</summary>
        public Exception? RootCause => Failures.Select(f => f.Exception).FirstOrDefault(e => e is not null);
    }
}
