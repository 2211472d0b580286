using System;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>What to do when an SMTP server refuses to authenticate or to send: the Exchange Online replies explained.</summary>
    internal static class SmtpAuthenticationAdvice
    {
        /// <summary>A password refused with Exchange Online's basic-auth retirement replies gets the way out; anything else null.</summary>
        public static string? ForPassword(string reply, SmtpSettings settings)
        {
            if (!Contains(reply, "5.7.139") && !Contains(reply, "5.7.30"))
            {
                return null;
            }

            return $"{settings.Server} refused the password of {settings.Credential?.UserName}: {reply.Trim()} " +
                "Exchange Online has retired basic authentication (user name and password) for SMTP client submission. " +
                "Authenticate with an app token instead, for instance: New-MailBackend -Smtp -SmtpServer smtp.office365.com -UserName " +
                $"{settings.Credential?.UserName} -TenantId <tenant> -ClientId <app id> -ClientSecret <SecureString> " +
                "(or -ClientCertificatePath, -ClientCertificateThumbprint, -ManagedIdentity); or send through Microsoft Graph with New-MailBackend " +
                "-Graph. See the README section \"Microsoft 365\".";
        }

        public static string ForToken(string reply, SmtpSettings settings)
        {
            var tokens = settings.Tokens!;
            if (tokens.Source == TokenProvider.GoogleServiceAccount)
            {
                return $"{settings.Server} refused the token of {tokens.Describe()}: {reply.Trim()} " +
                    "Check that -UserName is the Gmail/Workspace user the service account may act as (domain-wide delegation with the scope " +
                    "https://mail.google.com/).";
            }

            return $"{settings.Server} refused the token of {tokens.Describe()} for {settings.OAuthUserName}: {reply.Trim()} " +
                "For Exchange Online the app needs the SMTP.SendAsApp application permission (Office 365 Exchange Online) with admin consent, " +
                "its service principal registered in Exchange (New-ServicePrincipal), Add-MailboxPermission -AccessRights FullAccess " +
                "on the mailbox, and SMTP AUTH enabled for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false); it connects to " +
                $"{MicrosoftCloudEndpoints.SmtpHost(tokens.Cloud)}.";
        }

        /// <summary>5.7.60 SendAsDenied: the authenticated mailbox may not send as the From address.</summary>
        public static string? ForSendAs(string reply, SmtpSettings settings) =>
            Contains(reply, "5.7.60")
                ? $"{settings.Server} refused to send as the message's From address: {reply.Trim()} The mailbox {settings.UserName} may only send " +
                    "as itself " +
                  "unless it is granted Send As on the From address (Add-RecipientPermission -AccessRights SendAs), or use its own address as -From."
                : null;

        private static bool Contains(string text, string code) => text.IndexOf(code, StringComparison.Ordinal) >= 0;
    }
}
