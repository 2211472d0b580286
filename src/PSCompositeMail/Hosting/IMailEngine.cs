using System;
using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;
using PSCompositeMail.Graph;
using PSCompositeMail.Messages;
using PSCompositeMail.Reports;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// What the module needs from its engine (PSCompositeMail.Engine.dll, the only assembly that touches MailKit
    /// and MimeKit): plain data in, a message or a result out. Nothing here mentions their types, so this assembly
    /// loads in PowerShell's own context while the engine and its libraries live in the module's.
    /// </summary>
    internal interface IMailEngine
    {
        /// <summary>Validates the parameters and builds the one message every backend gets.</summary>
        IOutgoingMessage Build(MessageSpec spec);

        /// <summary>Loads an .eml file; the envelope comes from its headers unless one is given.</summary>
        IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null);

        /// <summary>SMTP delivery for one pipeline, under the given backend name.</summary>
        IDeliverySession OpenSmtpSession(string backendName, SmtpSettings settings, DeliveryContext context);

        /// <summary>Connects, secures, authenticates and quits.</summary>
        BackendTestResult TestSmtp(string backendName, SmtpSettings settings, DeliveryContext context);

        /// <summary>Microsoft Graph delivery for one pipeline, under the given backend name.</summary>
        IDeliverySession OpenGraphSession(string backendName, GraphSettings settings, DeliveryContext context);

        /// <summary>Fetches a token for Graph, the credential check; sends nothing.</summary>
        BackendTestResult TestGraph(string backendName, GraphSettings settings, DeliveryContext context);

        /// <summary>The ErrorCategory a PowerShell user expects for what went wrong.</summary>
        ErrorCategory CategoryOf(Exception? exception);

        /// <summary>Test-MailDomain: judges the domain's MX, SPF, DKIM and DMARC records for the backends described; asks DNS only.</summary>
        MailDomainTestResult CheckDomain(DomainCheckRequest request, DeliveryContext context);

        /// <summary>Reads and checks a DKIM private key (PEM text); a key that cannot sign is an InvalidSigningKeyException.</summary>
        IDkimSigner CreateDkimSigner(string domain, string selector, string privateKeyPem, string keySource);

        /// <summary>Renders a report (plain data: columns, values as text, highlights, bar lengths) as HTML with inline styles and as text.</summary>
        MailBody RenderReport(ReportContent report);
    }
}
