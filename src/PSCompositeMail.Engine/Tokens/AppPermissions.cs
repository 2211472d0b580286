using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using PSCompositeMail.Messages;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>
    /// The application permissions an app-only token carries: Entra ID lists the roles granted (with admin consent) in
    /// the access token's "roles" claim. Read from the token's payload without checking its signature: the service that
    /// takes the token checks it; this only tells the user, before the night, what that service will find.
    /// </summary>
    internal static class AppPermissions
    {
        /// <summary>Microsoft Graph's application permission to send mail as any mailbox (within an access policy's scope).</summary>
        public const string GraphSend = "Mail.Send";

        /// <summary>Exchange Online's application permission for SMTP AUTH with app tokens.</summary>
        public const string SmtpSend = "SMTP.SendAsApp";

        /// <summary>The roles claim of a JWT access token (empty when it has none); null when the token is not a JWT, as Google's are not.</summary>
        public static IReadOnlyList<string>? Roles(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3)
            {
                return null;
            }

            try
            {
                using var payload = JsonDocument.Parse(Base64Url(parts[1]));
                return payload.RootElement.ValueKind == JsonValueKind.Object && payload.RootElement.TryGetProperty("roles", out var roles) && roles.ValueKind == JsonValueKind.Array
                    // Escaped here: the roles come from whatever answered as the token endpoint, and list views show them as they are.
                    ? roles.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => ControlCharacters.Escape(r.GetString())).ToArray()
                    : Array.Empty<string>();
            }
            catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
            {
                return null;
            }
        }

        /// <summary>Null when <paramref name="roles"/> holds <paramref name="required"/>; otherwise the error that says how to grant it.</summary>
        /// <param name="api">Where the permission is found in the portal: "Microsoft Graph", or "Office 365 Exchange Online".</param>
        /// <param name="mailbox">The mailbox the backend sends as, for the Exchange side of the advice; null when each message's From decides.</param>
        public static MailPermissionException? Missing(IReadOnlyList<string> roles, string required, string api, TokenSettings settings, string? mailbox)
        {
            if (roles.Contains(required, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }

            var carried = roles.Count == 0 ? "no application permission at all" : "only " + string.Join(", ", roles);
            var grant = settings.Source == TokenProvider.ManagedIdentity
                ? $"A managed identity is granted it by an app role assignment, which needs an administrator: in Microsoft Graph PowerShell, " +
                  $"New-MgServicePrincipalAppRoleAssignment for the identity's service principal with the {api} app role {required}."
                : $"In the Entra admin center: App registrations > {settings.ClientId} > API permissions > Add a permission > " +
                  (required == SmtpSend ? "APIs my organization uses > Office 365 Exchange Online" : "Microsoft Graph") +
                  $" > Application permissions > {required}, then 'Grant admin consent' for the tenant.";
            var exchange = required == SmtpSend
                ? $" Exchange Online also needs the app's service principal (New-ServicePrincipal) and its right to {mailbox ?? "the mailbox"} (Add-MailboxPermission -AccessRights FullAccess)."
                : string.Empty;
            return new MailPermissionException(
                $"The token of {settings.Describe()} carries {carried}, not the application permission {required} of {api}, so sending will be refused. " +
                grant + exchange + " A token shows a new grant once it is renewed: test a newly built backend (or a new session).");
        }

        private static byte[] Base64Url(string text)
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
        }
    }
}
