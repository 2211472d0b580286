using System;
using System.Collections.Generic;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Recipes
{
    /// <summary>
    /// The one map from a New-MailBackend parameter to the backend setting it gives; profile files use it too, so
    /// their keys are the parameters. Every kind also takes Name.
    /// To add a setting: declare the parameter on NewMailBackendCommand in the kind's parameter set, and add one line
    /// to the kind's recipe below: its name, the type binding gives its value, and what it sets. A profile takes it as
    /// a key with nothing more to do; a profile key that must differ from the parameter (a secret read from an
    /// environment variable, say) is one line in MailProfile's ProfileOnlyKeys instead. The drift test in
    /// tests/Import-MailBackend.Tests.ps1 fails while New-MailBackend and the profile format disagree.
    /// </summary>
    internal static partial class BackendRecipes
    {
        private static readonly Dictionary<MailBackendKind, BackendRecipe> Recipes = new Dictionary<MailBackendKind, BackendRecipe>
        {
            [MailBackendKind.Smtp] = new BackendRecipe<SmtpDraft>(draft => draft.Build())
            {
                { "GoogleServiceAccountKey", (SmtpDraft d, string v) => d.Given().GoogleServiceAccountKey = d.FullPath(v) },
                { "SmtpServer", (SmtpDraft d, string v) => d.Settings.Server = HostOnly(v) },
                { "Port", (SmtpDraft d, int v) => d.Settings.RequestedPort = v },
                { "Security", (SmtpDraft d, SmtpSecurity v) => d.Settings.RequestedSecurity = v },
                { "Credential", (SmtpDraft d, PSCredential v) => d.Settings.Credential = v.GetNetworkCredential() },
                { "UserName", (SmtpDraft d, string v) => d.Settings.OAuthUserName = v },
                { "OAuthToken", (SmtpDraft d, object v) => d.Settings.OAuthToken = OAuthTokenSource.From(v) },
                { "SkipCertificateCheck", (SmtpDraft d, SwitchParameter v) => d.Settings.SkipCertificateCheck = v.IsPresent },
                { "CertificateThumbprint", (SmtpDraft d, string v) => d.Settings.CertificateThumbprint = v },
                { "TimeoutSec", (SmtpDraft d, int v) => d.Settings.Timeout = TimeSpan.FromSeconds(v) },
                { "RetryCount", (SmtpDraft d, int v) => d.Settings.RetryCount = v },
                { "RetryIntervalSec", (SmtpDraft d, double v) => d.Settings.RetryInterval = TimeSpan.FromSeconds(v) },
                { "MaxMessagesPerConnection", (SmtpDraft d, int v) => d.Settings.MaxMessagesPerConnection = v },
                { "CircuitBreakSec", (SmtpDraft d, int v) => d.Settings.CircuitBreak = TimeSpan.FromSeconds(v) },
                { "ProtocolLog", (SmtpDraft d, string v) => d.Settings.ProtocolLog = d.FullPath(v) },
                { "ProtocolLogContent", (SmtpDraft d, SwitchParameter v) => d.Settings.ProtocolLogContent = v.IsPresent },
                { "LocalDomain", (SmtpDraft d, string v) => d.Settings.LocalDomain = v },
            }.WithTokens().WithDkim(),
            [MailBackendKind.Graph] = new BackendRecipe<GraphDraft>(draft => draft.Build())
            {
                { "Mailbox", (GraphDraft d, string v) => d.Settings.Mailbox = v },
                { "SaveToSentItems", (GraphDraft d, SwitchParameter v) => d.Settings.SaveToSentItems = v.IsPresent },
                { "GraphEndpoint", (GraphDraft d, Uri v) => d.Endpoint = HttpsEndpoint.Require(v, "GraphEndpoint") },
                { "TimeoutSec", (GraphDraft d, int v) => d.Settings.Timeout = TimeSpan.FromSeconds(v) },
                { "RetryCount", (GraphDraft d, int v) => d.Settings.RetryCount = v },
            }.WithTokens(),
            [MailBackendKind.Console] = new BackendRecipe<ConsoleDraft>(draft => new ConsoleBackend(draft.Name, draft.Format, draft.Stream))
            {
                { "Format", (ConsoleDraft d, ConsoleFormat v) => d.Format = v },
                { "Stream", (ConsoleDraft d, ConsoleStream v) => d.Stream = v },
            },
            [MailBackendKind.Directory] = new BackendRecipe<DirectoryDraft>(
                draft => new DirectoryBackend(draft.Name, draft.Path, draft.Dkim.Build(draft.DkimSigners)))
            {
                // The switch itself takes the folder.
                { "Directory", (DirectoryDraft d, string v) => d.Path = d.FullPath(v) },
            }.WithDkim(),
            [MailBackendKind.Memory] = new BackendRecipe<BackendDraft>(draft => new MemoryBackend(draft.Name)),
            [MailBackendKind.Null] = new BackendRecipe<BackendDraft>(draft => new NullBackend(draft.Name)),
            [MailBackendKind.ScriptBlock] = new BackendRecipe<ScriptBlockDraft>(draft =>
                new ScriptBlockBackend(draft.Name, draft.ScriptBlock
                ?? throw new BackendSettingException("ScriptBlock", "A ScriptBlock backend needs a script block.")))
            {
                { "ScriptBlock", (ScriptBlockDraft d, ScriptBlock v) => d.ScriptBlock = v },
            },
            [MailBackendKind.Composite] = new BackendRecipe<CompositeDraft>(draft => new CompositeBackend(draft.Name, draft.Members, draft.Policy))
            {
                { "Backend", (CompositeDraft d, MailBackend[] v) => d.Members.AddRange(v) },
                { "Policy", (CompositeDraft d, DeliveryPolicy v) => d.Policy = v },
            },
        };

        public static BackendRecipe For(MailBackendKind kind) => Recipes[kind];

        private sealed class SmtpDraft : TokenDraft, IDkimDraft
        {
            public SmtpSettings Settings { get; } = new SmtpSettings(string.Empty);

            public DkimDraft Dkim { get; } = new DkimDraft();

            public MailBackend Build()
            {
                if (TokensGiven)
                {
                    if (Settings.Credential is not null || Settings.OAuthToken is not null || Settings.OAuthUserName is null)
                    {
                        throw new BackendSettingException("UserName",
                            "App tokens (TenantId/ClientId, ManagedIdentity, GoogleServiceAccountKey) go with UserName, the mailbox to send as, " +
                                "and replace Credential and OAuthToken.",
                            errorId: "AppTokensNeedUserName");
                    }

                    Tokens.UserName = Settings.OAuthUserName;
                    Settings.Tokens = ValidTokens();
                }

                if (Settings.OAuthToken is not null && (Settings.Credential is not null || Settings.OAuthUserName is null))
                {
                    throw new BackendSettingException("OAuthToken", "An OAuth token goes with a UserName, and not with a Credential.",
                        errorId: "OAuthNeedsUserName");
                }

                if (Settings.SkipCertificateCheck)
                {
                    Warn($"Certificate checks are off for {Settings.Server}: anyone between here and the server can read and change the mail. " +
                        "Prefer -CertificateThumbprint to trust one certificate.");
                }

                if (Settings.RequestedSecurity == SmtpSecurity.None && ClearTextSecret() is { } secret)
                {
                    Warn($"{secret.Given} with -Security None sends the {secret.What} for {Settings.Server} in clear text: anyone between here and " +
                        $"the server can read it. Drop -Security None, so that the {secret.What} only ever travels encrypted, or give -Security " +
                        "StartTls or SslOnConnect.");
                }

                Settings.Dkim = Dkim.Build(DkimSigners);
                return new SmtpBackend(Name, Settings);
            }

            /// <summary>What AUTH would send: a password, or a bearer token, which lets anyone who reads it send as the mailbox until it
            /// expires.</summary>
            private (string Given, string What)? ClearTextSecret() =>
                Settings.Credential is not null ? ("-Credential", "password")
                : Settings.OAuthToken is not null ? ("-OAuthToken", "bearer token")
                : TokensGiven ? ("An app token (-TenantId/-ClientId, -ManagedIdentity, -GoogleServiceAccountKey)", "bearer token")
                : null;
        }

        private sealed class ConsoleDraft : BackendDraft
        {
            public ConsoleFormat Format { get; set; } = ConsoleFormat.Full;

            public ConsoleStream Stream { get; set; } = ConsoleStream.Information;
        }

        private sealed class DirectoryDraft : BackendDraft, IDkimDraft
        {
            public string Path { get; set; } = string.Empty;

            public DkimDraft Dkim { get; } = new DkimDraft();
        }

        private sealed class ScriptBlockDraft : BackendDraft
        {
            public ScriptBlock? ScriptBlock { get; set; }
        }

        private sealed class CompositeDraft : BackendDraft
        {
            public List<MailBackend> Members { get; } = new List<MailBackend>();

            public DeliveryPolicy Policy { get; set; } = DeliveryPolicy.All;
        }

        /// <summary>
        /// An SMTP server is a host name or address. One with '@' is a URL's "user:password@host" written as a server,
        /// which descriptions, errors, the log and the spool would show: refused, without repeating it.
        /// </summary>
        private static string HostOnly(string server) =>
            server.IndexOf('@') < 0
                ? server
                : throw new ArgumentException(
                    "-SmtpServer takes a host name or IP address, and this one holds '@' (as user:password@host would); " +
                    "give the account with -Credential or -UserName instead.");
    }
}
