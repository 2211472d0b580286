using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>SPF: the domain's one record, its syntax, its ten lookups and its "all"; then each relay's address and each provider's
    /// include.</summary>
    internal static class SpfCheck
    {
        public const string Name = "SPF";

        public static IEnumerable<DomainCheck> Run(DomainCheckRequest request, DnsLookup dns)
        {
            var domain = request.Domain;
            var spf = new SpfEvaluator(dns);
            var relays = request.Relays.Select(r => (r.Backend, r.Host, Addresses: AddressesOf(r.Host, dns, out var problem), Problem: problem))
                .ToArray();
            var checks = new List<DomainCheck>();
            SpfRecord? record = null;
            try
            {
                record = spf.Fetch(domain);
                if (record is null)
                {
                    checks.Add(new DomainCheck(Name, DomainCheckStatus.Fail,
                        $"{domain} has no SPF record: receivers cannot tell its servers from forgers, and Gmail, Yahoo and Outlook.com reject such " +
                            "mail.",
                        $"Publish a TXT record at {domain}: {Suggest(request, relays)}"));
                }
            }
            catch (SpfEvaluationException ex)
            {
                checks.Add(new DomainCheck(Name, DomainCheckStatus.Fail, ex.Message + ".",
                    ex.Result == SpfResult.TempError ? null
                        : $"Publish exactly one TXT record at {domain} that starts with v=spf1 and parses, for example: {Suggest(request, relays)}"));
            }

            var survey = record is null ? null : spf.Survey(record);
            if (record is not null)
            {
                checks.Add(Judge(domain, record, survey!, spf));
            }

            checks.AddRange(relays.Select(r => RelayCheck(domain, record, spf, r.Backend, r.Host, r.Addresses, r.Problem)));
            foreach (var provider in request.Providers)
            {
                var (result, reason) = record is null ? (SpfResult.None, $"{domain} has no SPF record")
                    : spf.CheckProvider(provider.Include, domain, Sender(domain));
                checks.Add(result == SpfResult.Pass
                    ? new DomainCheck(Name, DomainCheckStatus.Pass, $"The SPF record permits the servers {provider.Provider} sends from: {reason}.",
                        null, provider.Backend)
                    : new DomainCheck(Name, DomainCheckStatus.Fail,
                        $"{provider.Provider} sends this backend's mail from its own servers, and the SPF record of {domain} does not permit them " +
                            $"through include:{provider.Include}: they get {Named(result)} ({reason}).",
                        record is null ? $"Publish a TXT record at {domain}: {Suggest(request, relays)}"
                            : $"Add include:{provider.Include}: {record.WithTerm("include:" + provider.Include)}",
                        provider.Backend));
            }

            return checks;
        }

        /// <summary>The record itself: syntax of what it includes, lookups, "all", ptr.</summary>
        private static DomainCheck Judge(string domain, SpfRecord record, SpfSurvey survey, SpfEvaluator spf)
        {
            var costs = survey.Costs.Count == 0 ? string.Empty : $": {string.Join(", ", survey.Costs)}";
            var summary = $"{record.Text} ({(survey.CountingStopped ? "over " : string.Empty)}{survey.Lookups} of {SpfEvaluator.LookupLimit} DNS " +
                $"lookups{(survey.CountingStopped ? ", counting stopped there" : string.Empty)})";
            if (survey.Problems.Count > 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{summary}; receivers take it as a permanent error: {string.Join(" ", survey.Problems)}",
                    "Remove or correct the includes named, so that every one of them has exactly one valid SPF record.");
            }

            if (survey.Unreachable.Count > 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{summary}; part of it could not be read, and receivers that fail the same way defer the mail (temperror): " +
                    $"{string.Join(" ", survey.Unreachable)}",
                    "Check that the DNS servers of the includes named answer, then check again.");
            }

            if (survey.Lookups > SpfEvaluator.LookupLimit)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{summary}: more than {SpfEvaluator.LookupLimit} lookups is a permanent error for receivers (RFC 7208 4.6.4){costs}.",
                    $"Bring it to {SpfEvaluator.LookupLimit} lookups or fewer: replace includes with the ip4:/ip6: ranges they hold, or drop " +
                        "senders you no longer use.");
            }

            // What a receiver concludes for servers nobody named, asked as for a relay: addresses no mail server has.
            var sender = Sender(domain);
            var anyone = SpfEvaluator.Nowhere.Select(a => (Address: a, Outcome: spf.CheckHost(a, domain, sender))).ToArray();
            var permitted = anyone.Where(o => o.Outcome.Result == SpfResult.Pass).ToArray();
            if (permitted.Length > 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{summary}: it permits every server on the internet to send as {domain}: {permitted[0].Address}, an address no mail server " +
                        $"has, gets pass ({permitted[0].Outcome.Reason}).",
                    record.All is { Qualifier: '+' } ? $"End it in -all: {record.WithAll("-all")}"
                        : "Remove the term named (or what it includes), so that only your own servers and providers pass.");
            }

            var (result, reason) = anyone[0].Outcome;
            if (result is SpfResult.PermError or SpfResult.TempError)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{summary}: receivers evaluating it for other servers get {Named(result)}: {reason}.",
                    result == SpfResult.TempError ? "Check that the DNS servers of the names in it answer, then check again."
                        : "Correct the term named, so that receivers can evaluate the record to its end.");
            }

            if (result == SpfResult.Neutral)
            {
                return new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"{summary}: other servers get neutral ({reason}), so forged mail is not rejected and receivers trust the domain less.",
                    record.All is { Qualifier: '?' } ? $"End it in -all (or ~all while you check who sends): {record.WithAll("-all")}"
                    : record.All is null && record.Redirect is null ? $"End it in -all (or ~all while you check who sends): {record.Text} -all"
                    : "End the record named in -all (or ~all while you check who sends).");
            }

            if (survey.UsesPtr)
            {
                return new DomainCheck(Name, DomainCheckStatus.Warn, $"{summary}: 'ptr' is deprecated (RFC 7208 5.5) and receivers may skip it.",
                    "Replace ptr with the ip4:/ip6: ranges or a: names of your servers.");
            }

            return new DomainCheck(Name, DomainCheckStatus.Pass, summary + costs + ".");
        }

        private static DomainCheck RelayCheck(string domain, SpfRecord? record, SpfEvaluator spf, string backend, string host,
            IReadOnlyList<IPAddress> addresses, string? problem)
        {
            if (addresses.Count == 0)
            {
                var why = problem ?? $"The relay {host} has no address in DNS";
                return new DomainCheck(Name, DomainCheckStatus.Fail, $"{why.TrimEnd('.')}, so the SPF record cannot be checked for the relay {host}.",
                    $"Check -SmtpServer '{host}', or give the relay's IP address.", backend);
            }

            var named = IPAddress.TryParse(host, out _) ? host : $"{host} ({string.Join(", ", addresses)})";
            if (addresses.All(IsPrivate))
            {
                // Receivers never see such an address: the relay hands the mail on, and the server that finally sends it
                // to the internet is the one SPF must permit.
                return new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"The relay {named} has a private address, which receivers never see: SPF must permit the public address of the server that " +
                        "finally sends its mail to the internet.",
                    "Check that server: Test-MailDomain -Backend (New-MailBackend -Smtp -SmtpServer <its public address or name>).", backend);
            }

            var sender = Sender(domain);
            // Only the addresses receivers can see: a name with a public and a private address is judged by the public one.
            var outcomes = addresses.Where(a => !IsPrivate(a)).Select(a => (Address: a, Outcome: spf.CheckHost(a, domain, sender))).ToArray();
            var notPassing = outcomes.Where(o => o.Outcome.Result != SpfResult.Pass).ToArray();
            if (notPassing.Length == 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Pass, $"The relay {named} is permitted: {outcomes[0].Outcome.Reason}.", null, backend);
            }

            var (address, (result, reason)) = notPassing[0];
            var term = Term(address);
            var fix = result is SpfResult.PermError or SpfResult.TempError || record is null
                ? $"Correct the SPF record of {domain} first (its own SPF check says how), then check again."
                : $"Add {term} (if this relay sends to the internet itself; otherwise the server it forwards to): {record.WithTerm(term)}";
            return new DomainCheck(Name, DomainCheckStatus.Fail,
                $"The relay {named} is not permitted by the SPF record of {domain}: {address} gets {Named(result)} ({reason}).", fix, backend);
        }

        /// <summary>The MAIL FROM the checks evaluate: the domain's postmaster, which every domain has.</summary>
        private static string Sender(string domain) => "postmaster@" + domain;

        private static string Named(SpfResult result) => result.ToString().ToLowerInvariant();

        private static string Term(IPAddress address) => (address.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6:" : "ip4:") + address;

        /// <summary>
        /// Loopback, RFC 1918, shared (RFC 6598), link-local, "this network" (0.0.0.0/8), multicast and reserved
        /// (224.0.0.0 and up), IPv6 unspecified, unique-local and multicast addresses: never a sender on the internet.
        /// </summary>
        private static bool IsPrivate(IPAddress address)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (IPAddress.IsLoopback(address))
            {
                return true;
            }

            var b = address.GetAddressBytes();
            return address.AddressFamily == AddressFamily.InterNetwork
                ? b[0] == 0 || b[0] == 10 || b[0] >= 224 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)
                    || (b[0] == 100 && (b[1] & 0xC0) == 64) || (b[0] == 169 && b[1] == 254)
                : (b[0] & 0xFE) == 0xFC || b[0] == 0xFF || address.IsIPv6LinkLocal || address.Equals(IPAddress.IPv6Any);
        }

        /// <summary>A record the backends would pass: their relays' addresses, their providers' includes, -all.</summary>
        private static string Suggest(DomainCheckRequest request, IEnumerable<(string Backend, string Host, IReadOnlyList<IPAddress> Addresses,
            string? Problem)> relays)
        {
            var terms = relays.SelectMany(r => r.Addresses).Where(a => !IsPrivate(a))
                .Select(Term)
                .Concat(request.Providers.Select(p => "include:" + p.Include))
                .Distinct()
                .ToArray();
            return terms.Length == 0 ? "v=spf1 mx -all (name every server that sends its mail before -all)"
                : $"v=spf1 {string.Join(" ", terms)} -all";
        }

        /// <summary>The relay as an address, or what its name resolves to through the same DNS servers; none, and why, when a server answered with an
        /// error.</summary>
        private static IReadOnlyList<IPAddress> AddressesOf(string host, DnsLookup dns, out string? problem)
        {
            problem = null;
            if (IPAddress.TryParse(host, out var address))
            {
                return new[] { address };
            }

            try
            {
                return dns.Addresses(host);
            }
            catch (DnsLookupException ex) when (ex is not DnsServerUnavailableException)
            {
                problem = ex.Message;
                return Array.Empty<IPAddress>();
            }
        }
    }
}
