using System;

namespace PSCompositeMail.Tokens
{
    /// <summary>
    /// Every endpoint that receives a secret, a signed assertion, a token or a message must be https: over http any of
    /// them could be read or replayed by whoever sits on the path. There is no way around this, on purpose.
    /// </summary>
    internal static class HttpsEndpoint
    {
        /// <summary>The endpoint unchanged when it is an absolute https URL.</summary>
        /// <param name="setting">What gave it, as the user wrote it: "-GraphEndpoint", or "token_uri in the key file x.json".</param>
        /// <exception cref="ArgumentException">Any other scheme, a relative URL, or one with a user name or password in it.</exception>
        public static Uri Require(Uri endpoint, string setting)
        {
            if (!IsHttps(endpoint))
            {
                throw new ArgumentException(Refusal(endpoint.OriginalString, setting));
            }

            if (endpoint.UserInfo.Length != 0)
            {
                // Descriptions, errors and logs would show it, and it would go to the server with every request: refused, never repeated.
                throw new ArgumentException(
                    $"{setting} '{Shown(endpoint)}' holds a user name or password (as https://user:password@host would); " +
                    "give the address without it: the client credentials are given with their own parameters.");
            }

            return endpoint;
        }

        public static bool IsHttps(Uri endpoint) =>
            endpoint.IsAbsoluteUri && string.Equals(endpoint.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// An endpoint as errors, descriptions and logs show it: scheme, host, port and (unless <paramref name="withPath"/>
        /// is false) path. Never its user info (https://user:password@host/) or query and fragment (a SAS signature, a
        /// token), which can be secrets written into the URL.
        /// </summary>
        public static string Shown(Uri endpoint, bool withPath = true) =>
            !endpoint.IsAbsoluteUri ? "a relative address"
            : endpoint.GetComponents(
                withPath ? UriComponents.SchemeAndServer | UriComponents.Path : UriComponents.SchemeAndServer, UriFormat.UriEscaped);

        /// <summary><see cref="Shown(Uri, bool)"/> for an address given as text; text that is no absolute URL as it is.</summary>
        public static string Shown(string endpoint) =>
            Uri.TryCreate(endpoint, UriKind.Absolute, out var url) ? Shown(url) : endpoint;

        /// <summary>Why an address that is not https is refused, showing it only cleaned (<see cref="Shown(Uri, bool)"/>), or not at all
        /// when it is no absolute URL (https:/user:password@host).</summary>
        public static string Refusal(string endpoint, string setting) =>
            $"{setting}{(Uri.TryCreate(endpoint, UriKind.Absolute, out var url) ? $" '{Shown(url)}'" : string.Empty)} is not an https URL. " +
            "Tokens, secrets and messages are only ever sent over https; give the https:// address.";
    }
}
