using System;
using System.Collections.Generic;

namespace PSCompositeMail.Domain
{
    /// <summary>
    /// What the engine needs to judge a sending domain, as plain data: the domain, whom to ask, and what the backends
    /// send through (relay hosts, providers, DKIM keys). Made by <see cref="DomainCheckPlan"/>; nothing in it is a backend.
    /// </summary>
    internal sealed class DomainCheckRequest
    {
        public DomainCheckRequest(string domain, IReadOnlyList<DnsServerAddress> dnsServers, TimeSpan timeout)
        {
            Domain = domain;
            DnsServers = dnsServers;
            Timeout = timeout;
        }

        /// <summary>ASCII (punycode), lower case.</summary>
        public string Domain { get; }

        /// <summary>Empty: the system's resolvers.</summary>
        public IReadOnlyList<DnsServerAddress> DnsServers { get; }

        /// <summary>How long one DNS server may take to answer one query.</summary>
        public TimeSpan Timeout { get; }

        /// <summary>Whether -Backend was given: without it, only the domain's own records are judged.</summary>
        public bool BackendsGiven { get; set; }

        /// <summary>SMTP relays whose address must be permitted by SPF.</summary>
        public List<RelayToCheck> Relays { get; } = new List<RelayToCheck>();

        /// <summary>Providers (Microsoft 365, Google) whose SPF include the domain's record must reach.</summary>
        public List<ProviderToCheck> Providers { get; } = new List<ProviderToCheck>();

        /// <summary>DKIM keys the backends sign with.</summary>
        public List<DkimKeyToCheck> DkimKeys { get; } = new List<DkimKeyToCheck>();

        /// <summary>Backends that send mail on their own (SMTP, Directory pickup) but sign with no DKIM key.</summary>
        public List<string> UnsignedBackends { get; } = new List<string>();
    }

    /// <summary>An SMTP backend's relay: an IP address, or a host name resolved through the same DNS servers.</summary>
    internal sealed class RelayToCheck
    {
        public RelayToCheck(string backend, string host)
        {
            Backend = backend;
            Host = host;
        }

        public string Backend { get; }

        public string Host { get; }
    }

    /// <summary>A provider that sends from its own servers: the domain's SPF must include theirs.</summary>
    internal sealed class ProviderToCheck
    {
        public ProviderToCheck(string backend, string provider, string include)
        {
            Backend = backend;
            Provider = provider;
            Include = include;
        }

        public string Backend { get; }

        /// <summary>Microsoft 365, Google Workspace.</summary>
        public string Provider { get; }

        /// <summary>The domain their SPF record lives at (spf.protection.outlook.com, _spf.google.com).</summary>
        public string Include { get; }
    }

    /// <summary>A backend's DKIM key: where its record goes and what it must hold.</summary>
    internal sealed class DkimKeyToCheck
    {
        public DkimKeyToCheck(string backend, string domain, string selector, string record)
        {
            Backend = backend;
            Domain = domain;
            Selector = selector;
            Record = record;
        }

        public string Backend { get; }

        /// <summary>The d= domain.</summary>
        public string Domain { get; }

        public string Selector { get; }

        /// <summary>The TXT record to publish, as the backend's DkimRecord prints it (v=DKIM1; k=...; p=...).</summary>
        public string Record { get; }

        public string RecordName => $"{Selector}._domainkey.{Domain}";
    }
}
