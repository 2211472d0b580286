using MailKit.Security;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>SMTP AUTH XOAUTH2 with app-only tokens: one refusal gets one fresh token and one more try.</summary>
    internal static class SmtpTokenAuthentication
    {
        public static void Authenticate(ReportingSmtpClient client, SmtpSettings settings, DeliveryContext context, string backendName)
        {
            var tokens = settings.Tokens!;
            var user = settings.OAuthUserName ?? string.Empty;
            var resource = tokens.Source == TokenProvider.GoogleServiceAccount
                ? GoogleServiceAccountTokenSource.GmailScope
                : MicrosoftCloudEndpoints.ExchangeResource(tokens.Cloud);
            var source = AccessTokens.For(tokens, resource);
            var cancellation = context.CancellationToken;
            context.Verbose($"{backendName}: authenticating as {user} with XOAUTH2, token from {tokens.Describe()}");
            try
            {
                var cached = source.GetToken(fresh: false, cancellation);
                client.Watchdog.Run(t => client.Authenticate(new SaslMechanismOAuth2(user, cached), t));
                return;
            }
            catch (AuthenticationException ex)
            {
                // The token may have been revoked or have expired early: the one retry a refusal gets, with a new token.
                context.Verbose($"{backendName}: the server refused the token ({ex.Message}); trying once with a fresh one");
            }

            try
            {
                var fresh = source.GetToken(fresh: true, cancellation);
                client.Watchdog.Run(t => client.Authenticate(new SaslMechanismOAuth2(user, fresh), t));
            }
            catch (AuthenticationException ex)
            {
                throw new AuthenticationException(SmtpAuthenticationAdvice.ForToken(ex.Message, settings), ex);
            }
        }
    }
}
