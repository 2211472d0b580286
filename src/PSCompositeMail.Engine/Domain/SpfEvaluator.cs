using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>The results of RFC 7208's check_host().</summary>
    internal enum SpfResult
    {
        None,
        Neutral,
        Pass,
        Fail,
        SoftFail,
        TempError,
        PermError,
    }

    /// <summary>A check_host() that ended in temperror or permerror, with the reason.</summary>
    internal sealed class SpfEvaluationException : Exception
    {
        public SpfEvaluationException(SpfResult result, string message)
            : base(message)
        {
            Result = result;
        }

        public SpfResult Result { get; }
    }

    /// <summary>What a whole SPF record costs and reaches, whatever the client's address: the ten-lookup limit applies to the worst case.</summary>
    internal sealed class SpfSurvey
    {
        /// <summary>DNS lookups needed to evaluate every term, nested includes and redirects counted.</summary>
        public int Lookups { get; set; }

        /// <summary>The top-level terms that cost lookups, each with its cost ("include:_spf.example.com (4)").</summary>
        public List<string> Costs { get; } = new List<string>();

        /// <summary>What receivers would take as a permerror in an included record.</summary>
        public List<string> Problems { get; } = new List<string>();

        /// <summary>Included records that could not be fetched (the server answered with an error): a temperror, receivers defer.</summary>
        public List<string> Unreachable { get; } = new List<string>();

        public bool UsesPtr { get; set; }

        /// <summary>Whether counting stopped (at three times the limit) before the whole tree was walked.</summary>
        public bool CountingStopped { get; set; }
    }

    /// <summary>
    /// Evaluates SPF records over DNS, as RFC 7208 section 4 and 5 describe: check_host() for one client address, and a
    /// survey of the whole include tree. ARSoft.Tools.Net, the one .NET library served here that evaluates SPF, targets
    /// net6.0 only, while the module runs on .NET Standard 2.0 (Windows PowerShell 5.1 too), so this is the evaluator.
    /// </summary>
    internal sealed class SpfEvaluator
    {
        public const int LookupLimit = 10;

        /// <summary>
        /// Addresses no mail server sends from (240.0.0.0/4 is reserved; 100::/64 discards): a record that permits one
        /// permits the whole internet, however it says so (+all, ip4:0.0.0.0/0, a/0, an include that does).
        /// </summary>
        public static readonly IReadOnlyList<IPAddress> Nowhere = new[] { IPAddress.Parse("240.0.0.1"), IPAddress.Parse("100::1") };

        private const int VoidLookupLimit = 2;
        private const int MxHostLimit = 10;
        private readonly DnsLookup _dns;

        public SpfEvaluator(DnsLookup dns)
        {
            _dns = dns;
        }

        /// <summary>The domain's SPF record; null when it has none; a permerror when it has several or one that does not parse.</summary>
        public SpfRecord? Fetch(string domain)
        {
            IReadOnlyList<string> texts;
            try
            {
                texts = _dns.Txt(domain);
            }
            catch (DnsNameException)
            {
                return null;
            }
            catch (DnsLookupException ex) when (ex is not DnsServerUnavailableException)
            {
                throw new SpfEvaluationException(SpfResult.TempError, ex.Message);
            }

            var spf = texts.Where(SpfRecord.IsSpf).ToArray();
            if (spf.Length > 1)
            {
                throw new SpfEvaluationException(SpfResult.PermError,
                    $"{domain} has {spf.Length} SPF records; receivers take that as a permanent error (RFC 7208 4.5): {string.Join(" | ", spf)}");
            }

            if (spf.Length == 0)
            {
                return null;
            }

            try
            {
                return SpfRecord.Parse(spf[0]);
            }
            catch (FormatException ex)
            {
                throw new SpfEvaluationException(SpfResult.PermError, $"the SPF record of {domain} does not parse: {ex.Message}");
            }
        }

        /// <summary>check_host(ip, domain, sender): what a receiver would conclude for mail from that address.</summary>
        public (SpfResult Result, string Reason) CheckHost(IPAddress ip, string domain, string sender) => Run(ip, domain, sender, null);

        /// <summary>
        /// check_host() for a server of a provider whose record is include:<paramref name="include"/>: an address no other
        /// term permits (<see cref="Nowhere"/>), matched by that include wherever it is reached, as the provider's own
        /// record would match it. Pass only when receivers get there through a "+" include before any "all".
        /// </summary>
        public (SpfResult Result, string Reason) CheckProvider(string include, string domain, string sender) =>
            Run(Nowhere[0], domain, sender, include.TrimEnd('.'));

        private (SpfResult Result, string Reason) Run(IPAddress ip, string domain, string sender, string? providerInclude)
        {
            try
            {
                var state = new Counters { ProviderInclude = providerInclude };
                return Evaluate(ip, domain, sender, state);
            }
            catch (SpfEvaluationException ex)
            {
                return (ex.Result, ex.Message);
            }
        }

        /// <summary>Walks the record and everything it includes or redirects to, counting lookups.</summary>
        public SpfSurvey Survey(SpfRecord record)
        {
            var survey = new SpfSurvey();
            foreach (var term in record.Terms.Where(t => t.CostsLookup))
            {
                var before = survey.Lookups;
                Walk(term, survey, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                survey.Costs.Add($"{term.Text} ({survey.Lookups - before})");
            }

            return survey;
        }

        private void Walk(SpfTerm term, SpfSurvey survey, HashSet<string> path)
        {
            survey.Lookups++;
            survey.UsesPtr |= term.Name == "ptr";
            if (term.Name is not ("include" or "redirect") || term.DomainSpec is not { } spec || SpfRecord.HasMacro(spec))
            {
                return;
            }

            var target = spec.TrimEnd('.');
            // A loop would never end; counting stops well past the limit, which is already exceeded then.
            if (!path.Add(target))
            {
                survey.Problems.Add($"{term.Text} leads back to a record already being evaluated (a loop).");
                return;
            }

            if (survey.Lookups > LookupLimit * 3)
            {
                // Counting stops here: the limit is exceeded three times over, whatever lies deeper.
                survey.CountingStopped = true;
                path.Remove(target);
                return;
            }

            try
            {
                var record = Fetch(target);
                if (record is null)
                {
                    survey.Problems.Add($"{term.Text}: {target} has no SPF record.");
                    return;
                }

                foreach (var inner in record.Terms.Where(t => t.CostsLookup))
                {
                    Walk(inner, survey, path);
                }
            }
            catch (SpfEvaluationException ex)
            {
                (ex.Result == SpfResult.TempError ? survey.Unreachable : survey.Problems).Add($"{term.Text}: {ex.Message}");
            }
            finally
            {
                path.Remove(target);
            }
        }

        private (SpfResult, string) Evaluate(IPAddress ip, string domain, string sender, Counters state)
        {
            var record = Fetch(domain);
            if (record is null)
            {
                return (SpfResult.None, $"{domain} has no SPF record");
            }

            foreach (var term in record.Directives)
            {
                if (Matches(term, ip, domain, sender, state))
                {
                    var result = term.Qualifier switch { '-' => SpfResult.Fail, '~' => SpfResult.SoftFail, '?' => SpfResult.Neutral, _ =>
                        SpfResult.Pass };
                    return (result, $"'{term.Text}' in the SPF record of {domain} matches");
                }
            }

            if (record.Redirect is { } redirect)
            {
                state.Count(redirect);
                var target = SpfRecord.Expand(redirect.DomainSpec!, domain, sender, ip);
                var (result, reason) = Evaluate(ip, target, sender, state);
                if (result == SpfResult.None)
                {
                    throw new SpfEvaluationException(SpfResult.PermError, $"{redirect.Text}: {target} has no SPF record");
                }

                return (result, reason);
            }

            return (SpfResult.Neutral, $"no term of the SPF record of {domain} matches, and it has no 'all'");
        }

        private bool Matches(SpfTerm term, IPAddress ip, string domain, string sender, Counters state)
        {
            if (term.CostsLookup)
            {
                state.Count(term);
            }

            var target = term.DomainSpec is null ? domain : SpfRecord.Expand(term.DomainSpec, domain, sender, ip);
            switch (term.Name)
            {
                case "all":
                    return true;
                case "ip4" or "ip6":
                    return InNetwork(ip, term.Network!, term.Network!.AddressFamily == AddressFamily.InterNetwork ? term.Prefix4 : term.Prefix6);
                case "a":
                    return Lookup(term, state, () => AddressesOf(target, ip)).Any(a => InNetwork(ip, a, PrefixFor(term, ip)));
                case "mx":
                    var exchanges = Lookup(term, state, () => _dns.Mx(target) ?? Array.Empty<DnsClient.Protocol.MxRecord>());
                    if (exchanges.Count > MxHostLimit)
                    {
                        throw new SpfEvaluationException(SpfResult.PermError,
                            $"'{term.Text}': {target} has {exchanges.Count} MX records; SPF evaluates at most {MxHostLimit} (RFC 7208 4.6.4)");
                    }

                    return exchanges.Any(mx => Lookup(term, state, () => AddressesOf(mx.Exchange.Value.TrimEnd('.'), ip))
                        .Any(a => InNetwork(ip, a, PrefixFor(term, ip))));
                case "exists":
                    return Lookup(term, state, () => _dns.Address(target, QueryType.A)).Count > 0;
                case "include" when string.Equals(target, state.ProviderInclude, StringComparison.OrdinalIgnoreCase):
                    return true;
                case "include":
                    var (result, reason) = Evaluate(ip, target, sender, state);
                    return result switch
                    {
                        SpfResult.Pass => true,
                        SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => false,
                        SpfResult.TempError => throw new SpfEvaluationException(SpfResult.TempError, $"'{term.Text}': {reason}"),
                        _ => throw new SpfEvaluationException(SpfResult.PermError, $"'{term.Text}': {reason}"),
                    };
                default:
                    // ptr: deprecated (RFC 7208 5.5); receivers may skip it, so it is not counted on to match.
                    return false;
            }
        }

        /// <summary>
        /// A query of an a, mx or exists term (an MX host's addresses too, as pyspf counts them): an empty answer counts
        /// as a void lookup, and more than two are a permerror.
        /// </summary>
        private IReadOnlyList<T> Lookup<T>(SpfTerm term, Counters state, Func<IReadOnlyList<T>> query)
        {
            var answers = Guard(query, Array.Empty<T>());
            if (answers.Count == 0 && ++state.VoidLookups > VoidLookupLimit)
            {
                throw new SpfEvaluationException(SpfResult.PermError,
                    $"'{term.Text}': more than {VoidLookupLimit} lookups found nothing (RFC 7208 4.6.4)");
            }

            return answers;
        }

        /// <summary>
        /// A query; a name DNS cannot hold (an empty label after macro expansion, a label over 63 octets) has no
        /// records and is not asked, as pyspf does; a server's error is a temperror.
        /// </summary>
        private static T Guard<T>(Func<T> query, T nothing)
        {
            try
            {
                return query();
            }
            catch (DnsNameException)
            {
                return nothing;
            }
            catch (DnsLookupException ex) when (ex is not DnsServerUnavailableException)
            {
                throw new SpfEvaluationException(SpfResult.TempError, ex.Message);
            }
        }

        private IReadOnlyList<IPAddress> AddressesOf(string name, IPAddress ip) =>
            _dns.Address(name, ip.AddressFamily == AddressFamily.InterNetworkV6 ? QueryType.AAAA : QueryType.A);

        private static int PrefixFor(SpfTerm term, IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? term.Prefix6 : term.Prefix4;

        private static bool InNetwork(IPAddress ip, IPAddress network, int prefix)
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                ip = ip.MapToIPv4();
            }

            if (ip.AddressFamily != network.AddressFamily)
            {
                return false;
            }

            var a = ip.GetAddressBytes();
            var b = network.GetAddressBytes();
            for (var bit = 0; bit < prefix; bit++)
            {
                var mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
                {
                    return false;
                }
            }

            return true;
        }

        private sealed class Counters
        {
            private int _lookups;

            public int VoidLookups { get; set; }

            /// <summary>The include that matches the client (<see cref="CheckProvider"/>), or null.</summary>
            public string? ProviderInclude { get; set; }

            public void Count(SpfTerm term)
            {
                if (++_lookups > LookupLimit)
                {
                    throw new SpfEvaluationException(SpfResult.PermError,
                        $"'{term.Text}' is DNS lookup {_lookups}: SPF allows at most {LookupLimit} (RFC 7208 4.6.4)");
                }
            }
        }
    }
}
