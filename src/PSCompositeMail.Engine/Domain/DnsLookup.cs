using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>
    /// The only way Test-MailDomain reaches the network: DnsClient asking the system's resolvers or the -DnsServer ones,
    /// each query bounded by the timeout and the pipeline's cancellation. Once the servers failed to answer at all, every
    /// later query fails at once with the same reason, so a dead server costs one timeout, not one per record.
    /// </summary>
    internal sealed class DnsLookup
    {
        private readonly LookupClient _client;
        private readonly DeliveryContext _context;
        private readonly TimeSpan _timeout;
        private DnsServerUnavailableException? _unavailable;
        private bool _answered;

        // Answers and errors within one check: each relay address and each include evaluated again asks nothing twice.
        private readonly Dictionary<(string Name, QueryType Type), Func<IDnsQueryResponse>> _asked = new Dictionary<(string, QueryType),
            Func<IDnsQueryResponse>>();

        private DnsLookup(LookupClient client, string servers, TimeSpan timeout, DeliveryContext context)
        {
            _client = client;
            Servers = servers;
            _timeout = timeout;
            _context = context;
        }

        /// <summary>The servers asked, for messages: "127.0.0.1:5353" or "the system's resolvers (10.0.0.2:53)".</summary>
        public string Servers { get; }

        public static DnsLookup Create(DomainCheckRequest request, DeliveryContext context)
        {
            var servers = request.DnsServers.Count > 0 ? request.DnsServers.SelectMany(Resolve).ToArray() : SystemResolvers();
            var options = new LookupClientOptions(servers);
            options.Timeout = request.Timeout;
            // One retry: a lost UDP datagram is common, a server that misses twice is down.
            options.Retries = 1;
            options.UseCache = false;
            options.ThrowDnsErrors = false;
            options.UseTcpFallback = true;
            options.ContinueOnEmptyResponse = false;
            var client = new LookupClient(options);
            var named = string.Join(", ", client.NameServers.Select(Describe));
            var description = request.DnsServers.Count > 0 ? named : $"the system's resolvers ({named})";
            return new DnsLookup(client, description, request.Timeout, context);
        }

        /// <summary>The TXT records at a name, each one's strings joined as SPF, DKIM and DMARC read them; empty when there are none.</summary>
        public IReadOnlyList<string> Txt(string name) =>
            Query(name, QueryType.TXT).Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToArray();

        /// <summary>The MX records at a name, or null when the name does not exist.</summary>
        public IReadOnlyList<MxRecord>? Mx(string name)
        {
            var response = Query(name, QueryType.MX);
            return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain ? null : response.Answers.MxRecords().ToArray();
        }

        /// <summary>The IPv4 and IPv6 addresses of a name (two queries; the SPF lookup counts treat them as one, as RFC 7208 does).</summary>
        public IReadOnlyList<IPAddress> Addresses(string name) =>
            Address(name, QueryType.A).Concat(Address(name, QueryType.AAAA)).ToArray();

        /// <summary>The addresses of one family.</summary>
        public IReadOnlyList<IPAddress> Address(string name, QueryType type)
        {
            var answers = Query(name, type).Answers;
            return type == QueryType.A
                ? answers.ARecords().Select(r => r.Address).ToArray()
                : answers.AaaaRecords().Select(r => r.Address).ToArray();
        }

        /// <summary>One query, asked once per check: NXDOMAIN and empty answers are answers; anything else a server says or fails to say is a <see
        /// cref="DnsLookupException"/>.</summary>
        private IDnsQueryResponse Query(string name, QueryType type)
        {
            if (_unavailable is not null)
            {
                throw _unavailable;
            }

            var key = (name.TrimEnd('.').ToLowerInvariant(), type);
            if (!_asked.TryGetValue(key, out var answer))
            {
                try
                {
                    var response = Ask(name, type);
                    answer = () => response;
                }
                catch (DnsLookupException ex) when (ex is not DnsServerUnavailableException)
                {
                    answer = () => throw ex;
                }

                _asked[key] = answer;
            }

            return answer();
        }

        private IDnsQueryResponse Ask(string name, QueryType type)
        {
            RequireDnsName(name);
            var token = _context.CancellationToken;
            IDnsQueryResponse response;
            try
            {
                response = _client.QueryAsync(name, type, QueryClass.IN, token).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is DnsXidMismatchException or DnsResponseParseException && !token.IsCancellationRequested)
            {
                // Not the packet's bytes (DnsClient's message carries them): a hostile server's reply is named, not shown.
                throw new DnsLookupException(
                    $"DNS server {Servers} sent a reply to the {type} query for {name} that " +
                    $"{(ex is DnsXidMismatchException ? "answers another query (its ID differs)" : "does not parse")}.");
            }
            catch (Exception ex) when (ex is DnsResponseException or SocketException && !token.IsCancellationRequested)
            {
                var silence = $"DNS server {Servers} did not answer the {type} query for {name} within {_timeout.TotalSeconds:0.#} s (asked twice).";
                if (_answered)
                {
                    // A server that answered before lost this one query (or its TCP retry): this check fails, not the others.
                    throw new DnsLookupException(silence, ex);
                }

                _unavailable = new DnsServerUnavailableException(silence, ex);
                throw _unavailable;
            }

            _answered = true;

            var code = response.Header.ResponseCode;
            _context.Verbose($"DNS {type} {name}: " +
                $"{(code == DnsHeaderResponseCode.NoError ? $"{response.Answers.Count} answer(s)" : code.ToString())} from " +
                $"{Describe(response.NameServer)}");
            if (code is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
            {
                throw new DnsLookupException($"DNS server {Describe(response.NameServer)} answered {code} to the {type} query for {name}.");
            }

            return response;
        }

        /// <summary>A name DNS can hold (RFC 1035 2.3.4): labels of 1 to 63 octets, 253 characters in all; anything else is not asked.</summary>
        private static void RequireDnsName(string name)
        {
            var trimmed = name.TrimEnd('.');
            var labels = trimmed.Split('.');
            if (trimmed.Length == 0 || trimmed.Length > 253 || labels.Any(l => l.Length == 0 || l.Length > 63))
            {
                throw new DnsNameException($"'{name}' is not a name DNS can hold (labels of 1 to 63 characters, 253 in all), so it was not asked.");
            }
        }

        /// <summary>
        /// The resolvers the system is configured with (resolv.conf, the network interfaces). DnsClient would fall back to
        /// Google's public resolvers when there are none; asking a server nobody chose is not this command's to do.
        /// </summary>
        private static NameServer[] SystemResolvers()
        {
            var servers = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false).ToArray();
            return servers.Length > 0
                ? servers
                : throw new DnsServerUnavailableException("This system has no DNS resolver configured: name the server to ask with -DnsServer.");
        }

        private static IEnumerable<NameServer> Resolve(DnsServerAddress server)
        {
            if (IPAddress.TryParse(server.Host, out var address))
            {
                return new[] { new NameServer(address, server.Port) };
            }

            IPAddress[] addresses;
            try
            {
                // A server given by name is found the way the system finds names; only its address is asked afterwards.
                addresses = Dns.GetHostAddresses(server.Host);
            }
            catch (SocketException ex)
            {
                throw new DnsServerUnavailableException($"DNS server {server} was not found: {ex.Message}", ex);
            }

            return addresses.Select(a => new NameServer(a, server.Port));
        }

        private static string Describe(NameServer? server) =>
            server is null ? "?" : server.Address.Contains(":") ? $"[{server.Address}]:{server.Port}" : $"{server.Address}:{server.Port}";
    }

    /// <summary>A DNS query that got no usable answer: SERVFAIL, REFUSED, a malformed reply (an SPF temperror).</summary>
    internal class DnsLookupException : Exception
    {
        public DnsLookupException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>A name no query can carry (too long, an empty label): it has no records, and nothing was asked.</summary>
    internal sealed class DnsNameException : DnsLookupException
    {
        public DnsNameException(string message)
            : base(message)
        {
        }
    }

    /// <summary>The DNS servers did not answer at all (timeout, port closed, not found): nothing more can be asked.</summary>
    internal sealed class DnsServerUnavailableException : DnsLookupException
    {
        public DnsServerUnavailableException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }
}
