using System.Linq;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>MX: receivers distrust a sender domain that cannot receive (bounces, replies) and refuse one that says it never does.</summary>
    internal static class MxCheck
    {
        public const string Name = "MX";

        public static DomainCheck Run(string domain, DnsLookup dns)
        {
            var fix = $"Publish an MX record naming the server that receives mail for {domain}: {domain}. IN MX 10 <your mail server>.";
            var records = dns.Mx(domain);
            if (records is null)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail, $"{domain} does not exist in DNS (NXDOMAIN): receivers reject mail from it.",
                    $"Create the domain {domain} in DNS, or send from a domain that exists.");
            }

            if (records.Any(r => r.Exchange.Value == "." || r.Exchange.Value.Length == 0))
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{domain} publishes a null MX ('0 .', RFC 7505): it declares that it accepts no mail, and receivers reject mail from it.",
                    $"Remove the null MX ({domain}. IN MX 0 .) and publish MX records naming the servers that receive its mail, or send from " +
                        "another domain.");
            }

            if (records.Count > 0)
            {
                var hosts = string.Join(", ", records.OrderBy(r => r.Preference).Select(r => $"{r.Preference} {r.Exchange.Value.TrimEnd('.')}"));
                return new DomainCheck(Name, DomainCheckStatus.Pass, $"{domain} receives mail through {hosts}.");
            }

            var addresses = dns.Addresses(domain);
            if (addresses.Count > 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"{domain} has no MX record; mail to it would go to its address {string.Join(", ", addresses)} (implicit MX, RFC 5321 5.1), " +
                        "which many receivers distrust in a sender domain.",
                    fix);
            }

            return new DomainCheck(Name, DomainCheckStatus.Fail,
                $"{domain} has neither an MX record nor an address: it cannot receive replies or bounces, and receivers reject mail from it.",
                fix);
        }
    }
}
