using System;
using System.Collections.Generic;
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
        /// <summary>Where the SMTP backend's tokens come from: Exchange Online's resource, or Gmail's scope.</summary>
        public static IAccessTokenSource TokensFor(SmtpSettings settings) => AccessTokens.For(
            settings.Tokens!,
            settings.Tokens!.Source == TokenProvider.GoogleServiceAccount ? GoogleServiceAccountTokenSource.GmailScope
                : MicrosoftCloudEndpoints.ExchangeResource(settings.Tokens.Cloud));

        /// <summary>
        /// What Test-MailBackend reports of an Entra token's permissions: the roles of the token the backend last got (no
        /// new request: this also runs when the check failed, and must not fail itself), and the error when SMTP.SendAsApp
        /// is missing. Google's tokens are opaque: no roles, nothing to check.
        /// </summary>
        public static (IReadOnlyList<string> Roles, Exception? Missing) Permissions(SmtpSettings settings, DeliveryContext context,
            string backendName)
        {
            if (settings.Tokens is not { Source: not TokenProvider.GoogleServiceAccount } tokens || TokensFor(settings).LastIssued is not { } token)
            {
                return (Array.Empty<string>(), null);
            }

            var roles = AppPermissions.Roles(token);
            if (roles is null)
            {
                context.Warning($"{backendName}: {AppPermissions.Unknown(AppPermissions.SmtpSend, "Office 365 Exchange Online", tokens)}");
                return (Array.Empty<string>(), null);
            }

            return (roles, AppPermissions.Missing(roles, AppPermissions.SmtpSend, "Office 365 Exchange Online", tokens, settings.OAuthUserName));
        }

        public static void Authenticate(ReportingSmtpClient client, SmtpSettings settings, DeliveryContext context, string backendName)
        {
            var tokens = settings.Tokens!;
            var user = settings.OAuthUserName ?? string.Empty;
            var source = TokensFor(settings);
            var cancellation = context.CancellationToken;
            context.Verbose($"{backendName}: authenticating as {user} with XOAUTH2, token from {tokens.Describe()}");
            try
            {
                var cached = source.GetToken(fresh: false, settings.Timeout, cancellation, UnansweredTokenRequests.Of(context));
                context.Secrets.AddBearerToken(user, cached);
                client.Watchdog.Run(t => client.Authenticate(new XOAuth2Mechanism(user, cached), t));
                return;
            }
            catch (AuthenticationException ex)
            {
                // The token may have been revoked or have expired early: the one retry a refusal gets, with a new token.
                context.Verbose($"{backendName}: the server refused the token ({ex.Message}); trying once with a fresh one");
            }

            try
            {
                var fresh = source.GetToken(fresh: true, settings.Timeout, cancellation, UnansweredTokenRequests.Of(context));
                context.Secrets.AddBearerToken(user, fresh);
                client.Watchdog.Run(t => client.Authenticate(new XOAuth2Mechanism(user, fresh), t));
            }
            catch (AuthenticationException ex)
            {
                throw new AuthenticationException(SmtpAuthenticationAdvice.ForToken(ex.Message, settings), ex);
            }
        }
    }
}
