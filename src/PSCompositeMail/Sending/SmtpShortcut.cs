using System.Management.Automation;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Sending
{
    /// <summary>The SMTP backend Send-CompositeMail builds without -Backend, from Send-MailMessage's parameters.</summary>
    internal static class SmtpShortcut
    {
        /// <summary>
        /// The Send-MailMessage way: -UseSsl requires encryption; without it STARTTLS is used when offered so clear-text
        /// relays keep working. A credential still never travels unencrypted unless -Security None says so. The port
        /// is 25, as Send-MailMessage's, unless SslOnConnect (465).
        /// </summary>
        public static SmtpBackend Create(string server, SmtpSecurity? security, bool useSsl, int port, PSCredential? credential)
        {
            var mode = security ?? (useSsl ? null : SmtpSecurity.StartTlsWhenAvailable);
            var chosenPort = port > 0 ? port : mode == SmtpSecurity.SslOnConnect ? 465 : 25;
            return new SmtpBackend("smtp", new SmtpSettings(server, mode, chosenPort) { Credential = credential?.GetNetworkCredential() });
        }
    }
}
