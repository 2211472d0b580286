using PSCompositeMail.Delivery;
using PSCompositeMail.Results;

namespace PSCompositeMail.Smtp
{
    /// <summary>What an SMTP backend needs from the engine, which holds MailKit: its session, and its check.</summary>
    internal interface ISmtpEngine
    {
        /// <summary>
        /// SMTP delivery for one pipeline, under the given backend name; it delivers only messages the engine made (see
        /// IOutgoingMessage).
        /// </summary>
        IDeliverySession OpenSmtpSession(string backendName, SmtpSettings settings, DeliveryContext context);

        /// <summary>Connects, secures, authenticates and quits.</summary>
        BackendTestResult TestSmtp(string backendName, SmtpSettings settings, DeliveryContext context);
    }
}
