using MailKit.Security;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// XOAUTH2 that keeps the AUTH command within SMTP's 512 octets. MailKit always puts the initial response on the
    /// AUTH line when a mechanism supports one; with a realistic Entra token (1,500 to 2,500 characters) that line is
    /// several times too long, and RFC 4954 section 4 says the client MUST NOT use the initial response then: it sends
    /// "AUTH XOAUTH2" alone, and the same response after the server's 334. Strict servers refuse the long line
    /// ("500 Command line too long"); short tokens still go on the AUTH line, saving a round trip.
    /// </summary>
    internal sealed class XOAuth2Mechanism : SaslMechanismOAuth2
    {
        /// <summary>RFC 5321 section 4.5.3.1.4: a command line, CRLF included.</summary>
        private const int CommandLineLimit = 512;

        private readonly bool _fitsOnAuthLine;

        public XOAuth2Mechanism(string userName, string token)
            : base(userName, token)
        {
            // What MailKit sends: "AUTH XOAUTH2 " + base64("user=" user ^A "auth=Bearer " token ^A ^A) + CRLF.
            var response = "user=".Length + userName.Length + 1 + "auth=Bearer ".Length + token.Length + 2;
            var line = "AUTH XOAUTH2 ".Length + (4 * ((response + 2) / 3)) + 2;
            _fitsOnAuthLine = line <= CommandLineLimit;
        }

        public override bool SupportsInitialResponse => _fitsOnAuthLine;
    }
}
