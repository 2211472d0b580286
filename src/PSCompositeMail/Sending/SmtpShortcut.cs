using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Recipes;
using PSCompositeMail.Results;
using PSCompositeMail.Signing;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// The SMTP backend Send-CompositeMail builds without -Backend, from Send-MailMessage's parameters. It is made by
    /// New-MailBackend's own recipe: every Send-CompositeMail parameter named as a setting of that recipe (-Credential,
    /// -SkipCertificateCheck, -TimeoutSec, ...) passes through unchanged, so accepting one more in this form is only
    /// declaring the parameter on the cmdlet. Only what Send-MailMessage means differently is translated here.
    /// </summary>
    internal static class SmtpShortcut
    {
        private const string UseSsl = "UseSsl";

        private static BackendRecipe Recipe => BackendRecipes.For(MailBackendKind.Smtp);

        /// <summary>The bound parameters that only the Send-MailMessage form takes: with -Backend each is a contradiction.</summary>
        public static IReadOnlyList<string> ParametersIn(IEnumerable<string> bound) =>
            bound.Where(name => name.Equals(UseSsl, StringComparison.OrdinalIgnoreCase)
                || Recipe.Settings.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();

        /// <summary>
        /// The Send-MailMessage way: -UseSsl requires encryption; without it STARTTLS is used when offered so clear-text
        /// relays keep working. A credential still never travels unencrypted unless -Security None says so. The port
        /// is 25, as Send-MailMessage's, unless SslOnConnect (465).
        /// </summary>
        /// <exception cref="BackendSettingException">A value that does not fit, or -UseSsl with -Security None.</exception>
        public static MailBackend Create(
            string server, IDictionary<string, object?> bound, Func<string, string> fullPath, Action<string> warn, IDkimSignerFactory dkimSigners)
        {
            var settings = bound
                .Where(p => Recipe.Settings.Contains(p.Key, StringComparer.OrdinalIgnoreCase))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
            settings["SmtpServer"] = server;
            var useSsl = bound.TryGetValue(UseSsl, out var ssl) && ssl is SwitchParameter { IsPresent: true };
            var security = settings.TryGetValue("Security", out var given) ? (SmtpSecurity?)LanguagePrimitives.ConvertTo<SmtpSecurity>(given) : null;
            if (useSsl && security is SmtpSecurity.None or SmtpSecurity.StartTlsWhenAvailable)
            {
                // StartTlsWhenAvailable sends in clear text to a server without STARTTLS: -UseSsl would be silently ignored.
                throw new BackendSettingException(
                    UseSsl,
                    $"-UseSsl requires encryption and -Security {security} allows sending without it: give only one of them.",
                    errorId: security == SmtpSecurity.None ? "UseSslWithSecurityNone" : "UseSslWithStartTlsWhenAvailable");
            }

            security ??= useSsl ? null : SmtpSecurity.StartTlsWhenAvailable;
            if (security is { } chosen)
            {
                settings["Security"] = chosen;
            }

            if (!settings.ContainsKey("Port"))
            {
                settings["Port"] = security == SmtpSecurity.SslOnConnect ? 465 : 25;
            }

            var backend = Recipe.Build(settings, fullPath, warn, dkimSigners);
            if (backend is SmtpBackend smtp)
            {
                // New-MailBackend -Smtp means 587 with STARTTLS required: say which form built this one, wherever it
                // shows (-WhatIf, the result), even when -Port and -UseSsl happen to give the same settings.
                smtp.Origin = "as Send-MailMessage";
            }

            return backend;
        }

        /// <summary>
        /// What the verbose stream says about the backend this form built: where it connects, and the New-MailBackend
        /// call that builds the same one, since New-MailBackend's own defaults differ (587, STARTTLS required).
        /// </summary>
        public static string Explain(SmtpBackend backend)
        {
            var security = backend.Security == SmtpSecurity.StartTlsWhenAvailable ? "STARTTLS when the server offers it, clear text otherwise"
                : backend.Security == SmtpSecurity.None ? "clear text"
                : backend.Security == SmtpSecurity.SslOnConnect ? "implicit TLS"
                : "STARTTLS required";
            return $"Without -Backend, as Send-MailMessage: SMTP to {backend.SmtpServer} port {backend.Port}, {security} ({backend.Security}). " +
                $"The same backend for -Backend or a failover composite: New-MailBackend -Smtp -SmtpServer {backend.SmtpServer} -Port " +
                $"{backend.Port} -Security {backend.Security} " +
                "(with the same -Credential and other settings); New-MailBackend -Smtp without -Port and -Security uses port 587 and requires " +
                "STARTTLS.";
        }
    }
}
