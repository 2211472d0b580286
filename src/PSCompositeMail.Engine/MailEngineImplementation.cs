using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MimeKit;
using PSCompositeMail.Backends;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine
{
    /// <summary>The engine the cmdlets reach through <see cref="MailEngine"/>; created once per process by name.</summary>
    internal sealed class MailEngineImplementation : IMailEngine
    {
        public IOutgoingMessage Build(MessageSpec spec) => MessageBuilder.Build(spec);

        public IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null) =>
            MessageBuilder.Load(path, envelopeSender, envelopeRecipients);

        public IDeliverySession OpenSession(MailBackend backend, DeliveryContext context) => backend switch
        {
            SmtpBackend smtp => SmtpDelivery.OpenSession(smtp, context),
            ConsoleBackend console => new ConsoleSession(console, context),
            MemoryBackend memory => new MemorySession(memory, context),
            ScriptBlockBackend script => new ScriptBlockSession(script, context),
            _ => throw new NotSupportedException($"The engine cannot deliver through a {backend.Kind} backend."),
        };

        public BackendTestResult TestSmtp(SmtpBackend backend, DeliveryContext context) => SmtpDelivery.Test(backend, context);

        public ErrorCategory CategoryOf(Exception? exception) => ErrorCategories.For(exception);

        /// <summary>An immutable copy of the message for the Memory and ScriptBlock backends.</summary>
        internal static CapturedMessage Capture(OutgoingMessage message)
        {
            var mime = message.Mime;
            IReadOnlyList<string> Addresses(InternetAddressList list) => list.Mailboxes.Select(m => m.Address).ToArray();
            return new CapturedMessage(MimeText.ToText(mime))
            {
                MessageId = message.MessageId,
                Subject = message.Subject,
                From = mime.From.ToString(),
                Sender = message.EnvelopeSender.Address,
                To = Addresses(mime.To),
                Cc = Addresses(mime.Cc),
                Bcc = Addresses(mime.Bcc),
                ReplyTo = Addresses(mime.ReplyTo),
                Recipients = message.RecipientAddresses,
                Date = mime.Date,
                TextBody = mime.TextBody,
                HtmlBody = mime.HtmlBody,
                Attachments = mime.Attachments.Select(a => a.ContentDisposition?.FileName ?? a.ContentType.Name ?? string.Empty).ToArray(),
                Headers = mime.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value)).ToArray(),
            };
        }

        private sealed class ConsoleSession : StatelessSession
        {
            public ConsoleSession(ConsoleBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                Context.Information(MessageFormatter.Format((OutgoingMessage)message, ((ConsoleBackend)Backend).Format));
                return null;
            }
        }

        private sealed class MemorySession : StatelessSession
        {
            public MemorySession(MemoryBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                ((MemoryBackend)Backend).Keep(Capture((OutgoingMessage)message));
                return null;
            }
        }

        /// <summary>The script block runs on the pipeline thread, whatever thread delivers: it belongs to the caller's runspace.</summary>
        private sealed class ScriptBlockSession : StatelessSession
        {
            public ScriptBlockSession(ScriptBlockBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                var copy = Capture((OutgoingMessage)message);
                Context.OnPipelineThread(() => ((ScriptBlockBackend)Backend).ScriptBlock.Invoke(copy));
                return null;
            }
        }
    }
}
