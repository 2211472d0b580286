using System;
using System.Diagnostics;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Test-MailBackend -SendTestMessage: one short message through each backend checked. A token or a login proves
    /// little about sending: an Exchange application access policy, RBAC for Applications or Send As rights decide per
    /// mailbox, and only a message that went through proves the backend may send as that mailbox.
    /// </summary>
    internal sealed class TestMessageRequest
    {
        /// <param name="from">-From; null: each backend's own mailbox.</param>
        /// <param name="to">-To; null: the sender itself.</param>
        public TestMessageRequest(string? from, string? to)
        {
            From = from;
            To = to;
        }

        public string? From { get; }

        public string? To { get; }

        /// <summary>What -WhatIf and -Confirm say the test message would be: the addresses it would go from and to.</summary>
        public string Describe(MailBackend backend)
        {
            var from = From ?? backend.TestMailbox;
            return from is null
                ? $"Send a test message from each member's own mailbox to {To ?? "that mailbox"}"
                : $"Send a test message from {from} to {To ?? from}";
        }

        /// <summary>The check's result with the test message's outcome: Succeeded only when the backend took the message.</summary>
        public BackendTestResult Send(MailBackend backend, BackendTestResult check, DeliveryContext context)
        {
            var clock = Stopwatch.StartNew();
            var from = From ?? backend.TestMailbox;
            if (from is null)
            {
                return check.WithTestMessage(false, clock.Elapsed, "no test message was sent", new ArgumentException(
                    $"-SendTestMessage: {backend.Name} has no mailbox of its own to send from (Graph's -Mailbox, or an SMTP user name that is an " +
                        "address): give -From."));
            }

            var to = To ?? from;
            IOutgoingMessage message;
            try
            {
                message = context.Engine<IMessageFactory>().Build(new MessageSpec
                {
                    From = from,
                    To = new[] { to },
                    Subject = $"PSCompositeMail test message through {backend.Name}",
                    Body = $"Sent by Test-MailBackend -SendTestMessage from {Environment.MachineName} " +
                        $"at {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, " +
                        $"to prove that {backend.Name} may send as {from}. Nothing needs to be done with it.",
                });
            }
            catch (MessageValidationException ex)
            {
                return check.WithTestMessage(false, clock.Elapsed, "no test message was sent", ex);
            }

            using (message)
            using (var session = backend.OpenSession(context))
            {
                context.Verbose($"{backend.Name}: sending a test message from {from} to {to}");
                var sent = session.Deliver(message);
                return sent.Status == DeliveryStatus.Sent
                    ? check.WithTestMessage(true, clock.Elapsed, $"a test message {message.MessageId} went from {from} to {to}"
                        + (sent.Detail is { } detail ? $" ({detail})" : string.Empty) +
                        ThroughOtherMailbox(backend, from), null)
                    : check.WithTestMessage(false, clock.Elapsed, $"the test message from {from} to {to} was not sent", sent.Exception
                        ?? new InvalidOperationException($"{backend.Name} did not send the test message ({sent.Status})."));
            }
        }

        /// <summary>
        /// A backend with a mailbox of its own (Graph's -Mailbox, an SMTP login) sends every message through it, whatever
        /// From says: a message From another address proves what production messages From it will do, but not that the
        /// backend may use that address's own mailbox.
        /// </summary>
        private static string ThroughOtherMailbox(MailBackend backend, string from) =>
            backend.TestMailbox is { } own && !string.Equals(own, from, StringComparison.OrdinalIgnoreCase)
                ? $"; it went through the mailbox {own}, the backend's own, so it proves that {own} may send with From {from}, not that " +
                    $"{backend.Name} may send from {from}'s own mailbox"
                : string.Empty;
    }
}
