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

        /// <summary>
        /// The roles claim of a JWT access token (empty when it has none; one string is one role); null when the token
        /// cannot be read as a JWT (Google's are opaque; an Entra token that is not one came from something unexpected).
        /// </summary>
        public static IReadOnlyList<string>? Roles(string token)
        {
            if (Payload(token) is not { } payload)
            {
                return null;
            }

            // Escaped here: the roles come from whatever answered as the token endpoint, and list views show them as they are.
            return !payload.TryGetProperty("roles", out var roles) ? Array.Empty<string>()
                : roles.ValueKind == JsonValueKind.String ? new[] { ControlCharacters.Escape(roles.GetString()) }
                : roles.ValueKind == JsonValueKind.Array ? roles.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String)
                    .Select(r => ControlCharacters.Escape(r.GetString())).ToArray()
                : Array.Empty<string>();
        }

        /// <summary>When a JWT access token says it expires (its exp claim); null when it is no JWT or says nothing.</summary>
        public static DateTimeOffset? Expiry(string token) =>
            Payload(token) is { } payload && payload.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetInt64(out var seconds)
                && seconds is > 0 and < 253402300800
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;

        /// <summary>What Test-MailBackend warns of an Entra token whose permissions cannot be read.</summary>
        public static string Unknown(string required, string api, TokenSettings settings) =>
            $"The token of {settings.Describe()} cannot be read as a JWT, so its permissions are unknown: whether it carries {required} of {api} " +
            "shows only " +
            "when something is sent (-SendTestMessage). Entra ID issues JWT access tokens: check what answers as the token endpoint.";

        private static JsonElement? Payload(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3)
            {
                return null;
            }

            try
            {
                using var payload = JsonDocument.Parse(Base64Url(parts[1]));
                return payload.RootElement.ValueKind == JsonValueKind.Object ? payload.RootElement.Clone() : null;
            }
            catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
            {
                return null;
            }
        }

        /// <summary>Null when <paramref name="roles"/> holds <paramref name="required"/>; otherwise the error that says how to grant it.</summary>
        /// <param name="api">Where the permission is found in the portal: "Microsoft Graph", or "Office 365 Exchange Online".</param>
        /// <param name="mailbox">The mailbox the backend sends as, for the Exchange side of the advice; null when each message's From
        /// decides.</param>
        public static MailPermissionException? Missing(IReadOnlyList<string> roles, string required, string api, TokenSettings settings,
            string? mailbox)
        {
            // Case-sensitive, as Graph and Exchange Online compare them: "mail.send" is not the permission.
            if (roles.Contains(required, StringComparer.Ordinal))
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
                ? $" Exchange Online also needs the app's service principal (New-ServicePrincipal) and its right to {mailbox ?? "the mailbox"} " +
                    "(Add-MailboxPermission -AccessRights FullAccess)."
                : string.Empty;
            return new MailPermissionException(
                $"The token of {settings.Describe()} carries {carried}, not the application permission {required} of {api}, so sending will be " +
                    "refused. " +
                grant + exchange + " A token shows a new grant once it is renewed: test a newly built backend (or a new session).");
        }

        private static byte[] Base64Url(string text)
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
        }
    }
}
