using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using System.Text;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// The secrets one pipeline (or one Test-MailBackend call) hands to servers, each in every form it takes on the
    /// wire: a password as typed and in base64 (AUTH LOGIN), the SASL PLAIN string, a bearer token and the XOAUTH2
    /// string around it (plain and base64), client secrets and certificate passwords (plain and URL-encoded, as a form
    /// posts them), a managed identity's X-IDENTITY-HEADER. A server may echo what it received (a 535 reply quoting the
    /// AUTH line, a token endpoint quoting the request), so every text that came from outside passes through
    /// <see cref="Redact(string)"/> where it enters (exceptions a session returns, stream records, the protocol log),
    /// before anything stores or shows it. Thread-safe: the workers of -ThrottleLimit add and read at once.
    /// </summary>
    internal sealed class SecretRedactor
    {
        /// <summary>What a secret is replaced with, as the protocol log has always written AUTH arguments.</summary>
        public const string Mask = "********";

        private readonly object _gate = new object();

        // Longest first, so that a SASL string is masked whole before the password inside it.
        private volatile string[] _secrets = Array.Empty<string>();

        public bool IsEmpty => _secrets.Length == 0;

        /// <summary>A password for AUTH PLAIN or LOGIN as <paramref name="user"/>.</summary>
        public void AddPassword(string? user, string? password)
        {
            if (string.IsNullOrEmpty(password))
            {
                return;
            }

            Add(password!, Base64(password!), Base64("\0" + user + "\0" + password), Base64(user + "\0" + user + "\0" + password));
        }

        /// <summary>A bearer token, sent in an Authorization header or as XOAUTH2 for <paramref name="user"/>.</summary>
        public void AddBearerToken(string? user, string? token)
        {
            if (string.IsNullOrEmpty(token))
            {
                return;
            }

            var xoauth2 = $"user={user}\u0001auth=Bearer {token}\u0001\u0001";
            Add(token!, Base64(token!), xoauth2, Base64(xoauth2));
        }

        /// <summary>What a token request sends that is secret: the client secret, the certificate's password, a managed identity's header.</summary>
        public void AddTokenCredentials(TokenSettings settings)
        {
            AddSecret(Plain(settings.ClientSecret));
            AddSecret(Plain(settings.ClientCertificatePassword));
            if (settings.Source == TokenProvider.ManagedIdentity)
            {
                // MSAL sends these as the X-IDENTITY-HEADER (App Service, Automation) and secret (older App Service) headers.
                AddSecret(Environment.GetEnvironmentVariable("IDENTITY_HEADER"));
                AddSecret(Environment.GetEnvironmentVariable("MSI_SECRET"));
            }
        }

        public void AddSecret(string? secret)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                Add(secret!, Base64(secret!), Uri.EscapeDataString(secret!), WebUtility.UrlEncode(secret!));
            }
        }

        /// <summary>Whether <paramref name="text"/> holds a secret this redactor knows.</summary>
        public bool Holds(string? text) =>
            !string.IsNullOrEmpty(text) && _secrets.Any(secret => text!.IndexOf(secret, StringComparison.Ordinal) >= 0);

        /// <summary><paramref name="text"/> with every secret this redactor knows written as <see cref="Mask"/>.</summary>
        public string Redact(string text)
        {
            if (!Holds(text))
            {
                return text;
            }

            var redacted = new StringBuilder(text);
            foreach (var secret in _secrets)
            {
                redacted.Replace(secret, Mask);
            }

            return redacted.ToString();
        }

        private void Add(params string[] forms)
        {
            lock (_gate)
            {
                var known = new HashSet<string>(_secrets, StringComparer.Ordinal);
                if (forms.All(known.Contains))
                {
                    return;
                }

                known.UnionWith(forms.Where(f => f.Length > 0));
                _secrets = known.OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal).ToArray();
            }
        }

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

        private static string? Plain(SecureString? secret) => secret is null ? null : new NetworkCredential(string.Empty, secret).Password;
    }
}
