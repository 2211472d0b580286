using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;

namespace PSCompositeMail.Smtp
{
    /// <summary>Turns what -OAuthToken got (a SecureString, or a script block that returns a fresh token) into a token provider.</summary>
    internal static class OAuthTokenSource
    {
        public static Func<string> From(object value) => value switch
        {
            PSObject wrapped => From(wrapped.BaseObject),
            SecureString secure => () => Reveal(secure),
            ScriptBlock script => () => FromScript(script),
            _ => throw new ArgumentException(
                "-OAuthToken takes a SecureString or a script block that returns one (or a string) each time a connection is made. " +
                "A plain string would leave the token in the command history: use (Read-Host -AsSecureString), ConvertTo-SecureString, or a script " +
                "block."),
        };

        private static string Reveal(SecureString secure) => new NetworkCredential(string.Empty, secure).Password;

        private static string FromScript(ScriptBlock script)
        {
            var token = script.Invoke().Select(o => o?.BaseObject).LastOrDefault(o => o is not null);
            return token switch
            {
                SecureString secure => Reveal(secure),
                string text when text.Length > 0 => text,
                _ => throw new InvalidOperationException("The -OAuthToken script block returned no token (expected a SecureString or a string)."),
            };
        }
    }
}
