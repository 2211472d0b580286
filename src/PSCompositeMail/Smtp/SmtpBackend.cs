using System;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Smtp
{
    /// <summary>
    /// Delivers over SMTP with MailKit: secure by default, one authenticated connection per pipeline,
    /// transient failures retried with backoff, never a message resent once the server accepted it.
    /// The object holds settings only; connections belong to the sessions the engine opens for each pipeline.
    /// </summary>
    public sealed class SmtpBackend : MailBackend
    {
        internal SmtpBackend(string? name, SmtpSettings settings)
            : base(name, MailBackendKind.Smtp)
        {
            Settings = settings;
        }

        public string SmtpServer => Settings.Server;

        public int Port => Settings.Port;

        public SmtpSecurity Security => Settings.Security;

        public string? UserName => Settings.UserName;

        public string Authentication => Settings.OAuthToken is not null || Settings.Tokens is not null ? "XOAUTH2" : Settings.Credential is not null
            ? "Password" : "None";

        public int RetryCount => Settings.RetryCount;

        public TimeSpan Timeout => Settings.Timeout;

        public int MaxMessagesPerConnection => Settings.MaxMessagesPerConnection;

        /// <summary>The DKIM domain, selector and key this backend signs with, or null.</summary>
        public DkimSettings? Dkim => Settings.Dkim;

        /// <summary>The DNS TXT record to publish at <c>Dkim.RecordName</c> for receivers to check the signatures.</summary>
        public string? DkimRecord => Settings.Dkim?.Record;

        public TimeSpan CircuitBreak => Settings.CircuitBreak;

        public override string Description => Describe(Settings) + (Origin is null ? string.Empty : $", {Origin}");

        /// <summary>How the backend came to be, when that explains its settings (the Send-MailMessage form's defaults).</summary>
        internal string? Origin { get; set; }

        internal static string Describe(SmtpSettings settings) =>
            $"{settings.Server}:{settings.Port} {settings.Security}" + (settings.UserName is null ? string.Empty : $" as {settings.UserName}");

        internal SmtpSettings Settings { get; }

        /// <summary>The account it signs in as, when that is an address (Microsoft 365 and Google user names are).</summary>
        internal override string? TestMailbox => Settings.UserName is { } user && user.Contains("@") ? user : null;

        internal override IDeliverySession OpenSession(DeliveryContext context) =>
            context.Engine<ISmtpEngine>().OpenSmtpSession(Name, Settings, context);

        internal override BackendTestResult Test(DeliveryContext context) => context.Engine<ISmtpEngine>().TestSmtp(Name, Settings, context);
    }
}
