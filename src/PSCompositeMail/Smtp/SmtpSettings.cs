using System;
using System.Net;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Smtp
{
    /// <summary>Everything an SMTP backend needs to connect. Secrets stay in here and are never formatted.</summary>
    internal sealed class SmtpSettings
    {
        public SmtpSettings(string server, SmtpSecurity? security = null, int port = 0)
        {
            Server = server;
            RequestedSecurity = security;
            RequestedPort = port;
        }

        public string Server { get; set; }

        /// <summary>-Security as given; null when it was omitted, which means: encryption required.</summary>
        public SmtpSecurity? RequestedSecurity { get; set; }

        /// <summary>-Port as given; 0 for the default of the security mode.</summary>
        public int RequestedPort { get; set; }

        public int Port => RequestedPort > 0 ? RequestedPort : DefaultPort(Security);

        public SmtpSecurity Security => RequestedSecurity ?? (RequestedPort == 465 ? SmtpSecurity.SslOnConnect : SmtpSecurity.StartTls);

        /// <summary>False when -Security was omitted, which means: encryption required.</summary>
        public bool SecurityGiven => RequestedSecurity.HasValue;

        public NetworkCredential? Credential { get; set; }

        public string? OAuthUserName { get; set; }

        /// <summary>App-only tokens (Entra ID app, managed identity, Google service account) for XOAUTH2 as <see cref="OAuthUserName"/>.</summary>
        public PSCompositeMail.Tokens.TokenSettings? Tokens { get; set; }

        /// <summary>Asked for a fresh access token at each connection.</summary>
        public Func<string>? OAuthToken { get; set; }

        public bool SkipCertificateCheck { get; set; }

        /// <summary>SHA-1 or SHA-256 thumbprint (hex) of a server certificate to trust as it is.</summary>
        public string? CertificateThumbprint { get; set; }

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        public int RetryCount { get; set; } = 2;

        public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>How long a relay that failed at the connection level is skipped before one message probes it again.</summary>
        public TimeSpan CircuitBreak { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Large providers throttle long sessions: after this many messages the connection is renewed.</summary>
        public int MaxMessagesPerConnection { get; set; } = 100;

        public string? ProtocolLog { get; set; }

        /// <summary>Whether the protocol log keeps message content (headers and bodies, which hold personal data) too.</summary>
        public bool ProtocolLogContent { get; set; }

        public string? LocalDomain { get; set; }

        /// <summary>Signs each message this backend sends; null: no DKIM.</summary>
        public DkimSettings? Dkim { get; set; }

        public string? UserName => Credential?.UserName ?? OAuthUserName;

        public static int DefaultPort(SmtpSecurity security) => security switch
        {
            SmtpSecurity.None => 25,
            SmtpSecurity.SslOnConnect => 465,
            _ => 587,
        };
    }
}
