using System.Collections.Generic;
using System.Linq;

namespace PSCompositeMail.Domain
{
    /// <summary>What Test-MailDomain found out about one sending domain.</summary>
    public sealed class MailDomainTestResult
    {
        internal MailDomainTestResult(string domain, IReadOnlyList<DomainCheck> checks, string dnsServers)
        {
            Domain = domain;
            Checks = checks;
            DnsServers = dnsServers;
        }

        /// <summary>The domain checked (an internationalized one as punycode, as DNS holds it).</summary>
        public string Domain { get; }

        /// <summary>True when no check is Fail.</summary>
        public bool Succeeded => Checks.All(c => c.Status != DomainCheckStatus.Fail);

        public IReadOnlyList<DomainCheck> Checks { get; }

        /// <summary>The DNS servers asked, or "system resolvers".</summary>
        public string DnsServers { get; }

        /// <summary>Why DNS could not be asked everything (a server that did not answer), or null; the cmdlet also writes it as an error.</summary>
        internal string? DnsFailure { get; set; }
    }
}
