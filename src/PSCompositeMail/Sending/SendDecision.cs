using System.Collections.Generic;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// One thing <see cref="SendInvocation"/> decided that Send-CompositeMail carries out, in the order given: choose
    /// the backends, send (a message, .eml files, spool items), refuse one input, or fail the whole call.
    /// </summary>
    internal abstract class SendDecision
    {
        private SendDecision()
        {
        }

        /// <summary>Send through these backends (given with -Backend, or piped in).</summary>
        public sealed class UseBackends : SendDecision
        {
            public UseBackends(IReadOnlyList<MailBackend> backends) => Backends = backends;

            public IReadOnlyList<MailBackend> Backends { get; }
        }

        /// <summary>Send through the SMTP backend that -SmtpServer (or $PSEmailServer) and its companions make, as Send-MailMessage.</summary>
        public sealed class UseSmtpShortcut : SendDecision
        {
        }

        /// <summary>Send the message the parameters describe (with the files piped in as its attachments).</summary>
        public sealed class Send : SendDecision
        {
            public Send(GivenMessage message, IReadOnlyList<string> pipedAttachments)
            {
                Message = message;
                PipedAttachments = pipedAttachments;
            }

            public GivenMessage Message { get; }

            public IReadOnlyList<string> PipedAttachments { get; }
        }

        /// <summary>Send .eml files as they are; piped ones must be .eml (any other was meant as an attachment).</summary>
        public sealed class SendFiles : SendDecision
        {
            public SendFiles(IReadOnlyList<string> paths, bool piped)
            {
                Paths = paths;
                Piped = piped;
            }

            public IReadOnlyList<string> Paths { get; }

            public bool Piped { get; }
        }

        /// <summary>Resend Get-MailSpool's items.</summary>
        public sealed class Resend : SendDecision
        {
            public Resend(IReadOnlyList<MailSpoolItem> items) => Items = items;

            public IReadOnlyList<MailSpoolItem> Items { get; }
        }

        /// <summary>One input cannot be sent as it is: an error for it, and the pipeline goes on.</summary>
        public sealed class Refuse : SendDecision
        {
            public Refuse(MessageValidationException problem) => Problem = problem;

            public MessageValidationException Problem { get; }
        }

        /// <summary>The call contradicts itself: a terminating error (InvalidArgument), nothing more is sent.</summary>
        public sealed class Fail : SendDecision
        {
            public Fail(string errorId, string message, object? target = null)
            {
                ErrorId = errorId;
                Message = message;
                Target = target;
            }

            public string ErrorId { get; }

            public string Message { get; }

            public object? Target { get; }
        }
    }
}
