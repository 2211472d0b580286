using System;
using System.Collections.Generic;
using System.Linq;
using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>Test-MailDomain's work: MX, SPF, DKIM and DMARC for one domain, asked of DNS only; nothing is changed or sent.</summary>
    internal static class DomainChecker
    {
        public static MailDomainTestResult Check(DomainCheckRequest request, DeliveryContext context)
        {
            DnsLookup dns;
            try
            {
                dns = DnsLookup.Create(request, context);
            }
            catch (DnsServerUnavailableException ex)
            {
                return Unchecked(request, ex.Message, request.DnsServers.Count > 0 ? string.Join(", ", request.DnsServers)
                    : "the system's resolvers");
            }

            var checks = new List<DomainCheck>();
            try
            {
                checks.AddRange(Guarded(MxCheck.Name, null, () => new[] { MxCheck.Run(request.Domain, dns) }));
                checks.AddRange(Guarded(SpfCheck.Name, null, () => SpfCheck.Run(request, dns)));
                checks.AddRange(request.DkimKeys.Count == 0
                    ? new[] { DkimCheck.NotSigned(request) }
                    : request.DkimKeys.SelectMany(k => Guarded(DkimCheck.Name, k.Backend, () => new[] { DkimCheck.Run(k, dns) })));
                checks.AddRange(Guarded(DmarcCheck.Name, null, () => new[] { DmarcCheck.Run(request.Domain, request.DkimKeys, dns) }));
            }
            catch (DnsServerUnavailableException ex)
            {
                // Nothing more can be asked once the servers are gone: every check not yet made says why.
                return Unchecked(request, ex.Message, dns.Servers, checks);
            }

            return new MailDomainTestResult(request.Domain, checks, dns.Servers);
        }

        /// <summary>A query the server answered with an error (SERVFAIL, REFUSED) fails that check alone, naming the answer.</summary>
        private static IEnumerable<DomainCheck> Guarded(string name, string? backend, Func<IEnumerable<DomainCheck>> check)
        {
            try
            {
                return check().ToArray();
            }
            catch (DnsLookupException ex) when (ex is not DnsServerUnavailableException)
            {
                return new[] { new DomainCheck(name, DomainCheckStatus.Fail, "Not checked: " + ex.Message, null, backend) };
            }
        }

        private static MailDomainTestResult Unchecked(DomainCheckRequest request, string reason, string servers, IReadOnlyList<DomainCheck>? done =
            null)
        {
            var made = done ?? new List<DomainCheck>();
            var missing = new[] { MxCheck.Name, SpfCheck.Name, DkimCheck.Name, DmarcCheck.Name }
                .Where(name => made.All(c => c.Name != name))
                .Select(name => new DomainCheck(name, DomainCheckStatus.Fail, "Not checked: " + reason));
            return new MailDomainTestResult(request.Domain, made.Concat(missing).ToArray(), servers) { DnsFailure = reason };
        }
    }
}
