using System;
using System.Net;
using PSCompositeMail.Domain;
using PSCompositeMail.Engine.Domain;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>The parts of Test-MailDomain that need no DNS: -DnsServer values, SPF syntax, macros and the records suggested as fixes.</summary>
    public class MailDomainTests
    {
        [Theory]
        [InlineData("10.0.0.53", "10.0.0.53:53")]
        [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
        [InlineData("dns.Example.com:5353", "dns.example.com:5353")]
        [InlineData("2001:db8::53", "[2001:db8::53]:53")]
        [InlineData("[2001:db8::53]:5353", "[2001:db8::53]:5353")]
        public void Dns_servers_are_read_as_host_and_port(string text, string expected) =>
            Assert.Equal(expected, DnsServerAddress.Parse(text).ToString());

        [Theory]
        [InlineData("")]
        [InlineData("dns server")]
        [InlineData("127.0.0.1:0")]
        [InlineData("127.0.0.1:65536")]
        [InlineData("127.0.0.1:-1")]
        [InlineData("[2001:db8::53]x")]
        [InlineData("dns_server.example.com")]
        public void Anything_else_is_refused_with_what_is_accepted(string text) =>
            Assert.Contains("-DnsServer", Assert.Throws<ArgumentException>(() => DnsServerAddress.Parse(text)).Message);

        [Theory]
        [InlineData("v=spf1 ip4:192.0.2", "not an IPv4 address")]
        [InlineData("v=spf1 ip4:192.0.2.0/33", "prefix length")]
        [InlineData("v=spf1 include -all", "needs a domain")]
        [InlineData("v=spf1 a/40", "prefix length")]
        [InlineData("v=spf1 -all:x", "takes no argument")]
        [InlineData("v=spf1 permit:example.com", "not an SPF mechanism")]
        [InlineData("v=spf1 redirect=a.example redirect=b.example", "more than once")]
        [InlineData("v=spf1 exists:%{z}.example.com", "malformed macro")]
        public void Spf_syntax_errors_name_the_term(string record, string expected) =>
            Assert.Contains(expected, Assert.Throws<FormatException>(() => SpfRecord.Parse(record)).Message);

        [Fact]
        public void Spf_terms_are_read_with_their_qualifiers_and_lookup_costs()
        {
            var record = SpfRecord.Parse("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:example.com/24//64 include:_spf.example.com ~all exp=explain.example.com");
            Assert.Equal(new[] { "ip4", "ip6", "a", "mx", "include", "all", "exp" }, Array.ConvertAll(System.Linq.Enumerable.ToArray(record.Terms), t => t.Name));
            Assert.Equal('~', record.All!.Qualifier);
            Assert.Equal(3, System.Linq.Enumerable.Count(record.Terms, t => t.CostsLookup));
            Assert.True(SpfRecord.IsSpf("v=spf1"));
            Assert.False(SpfRecord.IsSpf("v=spf10 -all"));
        }

        [Fact]
        public void Fixes_add_a_term_before_all_or_replace_all()
        {
            var record = SpfRecord.Parse("v=spf1 ip4:192.0.2.25 +all");
            Assert.Equal("v=spf1 ip4:192.0.2.25 include:spf.protection.outlook.com +all", record.WithTerm("include:spf.protection.outlook.com"));
            Assert.Equal("v=spf1 ip4:192.0.2.25 -all", record.WithAll("-all"));
            Assert.Equal("v=spf1 mx ip4:203.0.113.9 redirect=_spf.example.com", SpfRecord.Parse("v=spf1 mx redirect=_spf.example.com").WithTerm("ip4:203.0.113.9"));
        }

        /// <summary>The examples of RFC 7208 section 7.4: sender strong-bad@email.example.com, client 192.0.2.3.</summary>
        [Theory]
        [InlineData("%{s}", "strong-bad@email.example.com")]
        [InlineData("%{o}", "email.example.com")]
        [InlineData("%{d2}", "example.com")]
        [InlineData("%{d1}", "com")]
        [InlineData("%{dr}", "com.example.email")]
        [InlineData("%{d2r}", "example.email")]
        [InlineData("%{l}", "strong-bad")]
        [InlineData("%{l-}", "strong.bad")]
        [InlineData("%{lr-}", "bad.strong")]
        [InlineData("%{l1r-}", "strong")]
        [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
        [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
        public void Macros_expand_as_rfc_7208_shows(string spec, string expected) =>
            Assert.Equal(expected, SpfRecord.Expand(spec, "email.example.com", "strong-bad@email.example.com", IPAddress.Parse("192.0.2.3")));
    }
}
