using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;
using PSCompositeMail.Graph;
using PSCompositeMail.Messages;
using PSCompositeMail.Reports;
using PSCompositeMail.Sending;
using PSCompositeMail.Signing;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// What the module needs from its engine (PSCompositeMail.Engine.dll, the only assembly that touches MailKit
    /// and MimeKit): plain data in, a message or a result out. Nothing here mentions their types, so this assembly
    /// loads in PowerShell's own context while the engine and its libraries live in the module's.
    /// Each part declares the little it needs in its own namespace (<see cref="IMessageFactory"/>, <see cref="ISmtpEngine"/>,
    /// <see cref="IGraphEngine"/>, <see cref="IDkimSignerFactory"/>, <see cref="ISendEngine"/>), so that no part reaches up
    /// to here; the cmdlets hand the engine down, to the pipeline through its <see cref="DeliveryContext"/>.
    /// </summary>
    internal interface IMailEngine : IMessageFactory, ISmtpEngine, IGraphEngine, IDkimSignerFactory, ISendEngine
    {
        /// <summary>Test-MailDomain: judges the domain's MX, SPF, DKIM and DMARC records for the backends described; asks DNS only.</summary>
        MailDomainTestResult CheckDomain(DomainCheckRequest request, DeliveryContext context);

        /// <summary>Renders a report (plain data: columns, values as text, highlights, bar lengths) as HTML with inline styles and as text.</summary>
        MailBody RenderReport(ReportContent report);
    }
}
