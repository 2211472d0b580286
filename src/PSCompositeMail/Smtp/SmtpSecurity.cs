namespace PSCompositeMail.Smtp
{
    /// <summary>How the SMTP connection is encrypted. When -Security is omitted, encryption is required.</summary>
    public enum SmtpSecurity
    {
        /// <summary>Clear text, never upgraded. The only mode in which a credential may travel unencrypted.</summary>
        None,

        /// <summary>STARTTLS, required: a server that does not offer it is an error.</summary>
        StartTls,

        /// <summary>Implicit TLS from the first byte (usually port 465).</summary>
        SslOnConnect,

        /// <summary>STARTTLS when the server offers it, clear text otherwise.</summary>
        StartTlsWhenAvailable,
    }
}
