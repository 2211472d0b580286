using System;
using System.Collections.Generic;
using PSCompositeMail.Backends;
using PSCompositeMail.Graph;
using PSCompositeMail.Signing;
using PSCompositeMail.Smtp;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Domain
{
    /// <summary>What the backends mean for a sending domain's DNS: which relays SPF must permit, which provider includes it must reach, which DKIM
    /// keys must be published.</summary>
    internal static class DomainCheckPlan
    {
        private const string MicrosoftProvider = "Microsoft 365";
        private const string GoogleProvider = "Google Workspace";
        private const string GoogleInclude = "_spf.google.com";

        // Submission endpoints of the two providers: mail sent to them leaves from the provider's own servers, so SPF
        // must include the provider rather than name the endpoint's address.
        private static readonly Dictionary<string, string> ProviderHosts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["smtp.office365.com"] = MicrosoftProvider,
            ["outlook.office365.com"] = MicrosoftProvider,
            ["smtp-mail.outlook.com"] = MicrosoftProvider,
            ["smtp.gmail.com"] = GoogleProvider,
            ["smtp-relay.gmail.com"] = GoogleProvider,
        };

        /// <summary>Adds what each backend (composites included, at any depth) asks of DNS to the request.</summary>
        public static void Add(DomainCheckRequest request, IEnumerable<MailBackend> backends)
        {
            foreach (var backend in backends)
            {
                request.BackendsGiven = true;
                switch (backend)
                {
                    case CompositeBackend composite:
                        Add(request, composite.Backends);
                        break;
                    case SmtpBackend smtp:
                        AddSmtp(request, smtp);
                        break;
                    case GraphBackend graph:
                        request.Providers.Add(new ProviderToCheck(graph.Name, MicrosoftProvider, MicrosoftInclude(graph.Settings.Tokens.Cloud)));
                        break;
                    case DirectoryBackend { Dkim: { } dkim } directory:
                        AddDkim(request, directory.Name, dkim);
                        break;
                }
            }
        }

        private static void AddSmtp(DomainCheckRequest request, SmtpBackend smtp)
        {
            var settings = smtp.Settings;
            if (settings.Tokens is { } tokens)
            {
                request.Providers.Add(tokens.Source == TokenProvider.GoogleServiceAccount
                    ? new ProviderToCheck(smtp.Name, GoogleProvider, GoogleInclude)
                    : new ProviderToCheck(smtp.Name, MicrosoftProvider, MicrosoftInclude(tokens.Cloud)));
            }
            // "smtp.office365.com." (fully qualified, with its root dot) is the same host.
            else if (ProviderHosts.TryGetValue(settings.Server.TrimEnd('.'), out var provider))
            {
                request.Providers.Add(new ProviderToCheck(smtp.Name, provider,
                    provider == GoogleProvider ? GoogleInclude : MicrosoftInclude(MicrosoftCloud.Global)));
            }
            else
            {
                request.Relays.Add(new RelayToCheck(smtp.Name, settings.Server));
            }

            if (settings.Dkim is { } dkim)
            {
                AddDkim(request, smtp.Name, dkim);
            }
            else
            {
                request.UnsignedBackends.Add(smtp.Name);
            }
        }

        private static void AddDkim(DomainCheckRequest request, string backend, DkimSettings dkim) =>
            request.DkimKeys.Add(new DkimKeyToCheck(backend, dkim.Domain, dkim.Selector, dkim.Record));

        /// <summary>The SPF include Exchange Online publishes in each cloud.</summary>
        private static string MicrosoftInclude(MicrosoftCloud cloud) => cloud switch
        {
            MicrosoftCloud.USGovernment or MicrosoftCloud.USGovernmentDoD => "spf.protection.office365.us",
            MicrosoftCloud.China => "spf.protection.partner.outlook.cn",
            _ => "spf.protection.outlook.com",
        };
    }
}
