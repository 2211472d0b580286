using System;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Delivery
{
    /// <summary>One backend's state for the length of one pipeline (an SMTP connection, for instance).</summary>
    internal interface IDeliverySession : IDisposable
    {
        /// <summary>Delivers one message; a failure is a Failed result, never an exception (cancellation aside).</summary>
        BackendResult Deliver(IOutgoingMessage message);
    }
}
