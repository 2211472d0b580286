using System;
using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;
using PSCompositeMail.Engine.Domain;
using PSCompositeMail.Engine.Graph;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Reports;
using PSCompositeMail.Engine.Signing;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Graph;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Reports;
using PSCompositeMail.Results;
using PSCompositeMail.Signing;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine
{
    /// <summary>The engine the module finds through <see cref="MailEngine"/>, created once per process by name, and hands down.</summary>
    internal sealed class MailEngineImplementation : IMailEngine
    {
        public IOutgoingMessage Build(MessageSpec spec) => MessageBuilder.Build(spec);

        public IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null) =>
            MessageBuilder.Load(path, envelopeSender, envelopeRecipients);

        public IDeliverySession OpenSmtpSession(string backendName, SmtpSettings settings, DeliveryContext context) =>
            new SmtpDelivery(backendName, settings, context);

        public BackendTestResult TestSmtp(string backendName, SmtpSettings settings, DeliveryContext context) =>
            SmtpDelivery.Test(backendName, settings, context);

        public IDeliverySession OpenGraphSession(string backendName, GraphSettings settings, DeliveryContext context) =>
            new GraphDelivery(backendName, settings, context);

        public BackendTestResult TestGraph(string backendName, GraphSettings settings, DeliveryContext context) =>
            GraphDelivery.Test(backendName, settings, context);

        public ErrorCategory? CategoryOfLibraryError(Exception exception) => ErrorCategories.ForLibraryError(exception);

        public MailDomainTestResult CheckDomain(DomainCheckRequest request, DeliveryContext context) => DomainChecker.Check(request, context);

        public IDkimSigner CreateDkimSigner(string domain, string selector, string privateKeyPem, string keySource) =>
            new DkimMessageSigner(domain, selector, privateKeyPem, keySource);

        public MailBody RenderReport(ReportContent report) => ReportRenderer.Render(report);
    }
}
