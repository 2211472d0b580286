using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>DMARC (RFC 7489): the policy at _dmarc.domain, and whether each backend's DKIM d= aligns with the From domain.</summary>
    internal static class DmarcCheck
    {
        public const string Name = "DMARC";
        private static readonly string[] Policies = { "none", "quarantine", "reject" };

        public static DomainCheck Run(string domain, IReadOnlyList<DkimKeyToCheck> keys, DnsLookup dns)
        {
            var own = "_dmarc." + domain;
            var suggested = $"Publish a TXT record at {own}: v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain} (watch the reports, then move to " +
                "p=quarantine or p=reject).";
            var (at, records) = Find(domain, dns);
            if (records.Length == 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"No DMARC record at {own}: Gmail, Yahoo and Outlook.com require one from bulk senders, and receivers apply their own policy.",
                        suggested);
            }

            if (records.Length > 1)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{at} holds {records.Length} DMARC records; receivers then apply none of them (RFC 7489 6.6.3): {string.Join(" | ", records)}",
                        "Keep exactly one v=DMARC1 record at " + at + ".");
            }

            var problem = Parse(records[0], out var tags);
            if (problem is not null)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"The DMARC record at {at} is malformed ({problem}): receivers ignore it. Record: {records[0]}", suggested);
            }

            var strict = tags.TryGetValue("adkim", out var adkim) && adkim.Equals("s", StringComparison.OrdinalIgnoreCase);
            var policy = $"p={tags["p"]}" + string.Concat(new[] { "sp", "pct", "adkim", "aspf", "rua" }.Where(tags.ContainsKey)
                .Select(t => $", {t}={tags[t]}"));
            if (at != own)
            {
                policy += $" (no record at {own}: the organizational domain's record at {at} applies, with " +
                    $"{(tags.ContainsKey("sp") ? "sp" : "p")}={(tags.TryGetValue("sp", out var sp) ? sp : tags["p"])})";
            }

            var misaligned = keys.Where(k => !Aligned(domain, k.Domain, strict)).ToArray();
            var alignment = keys.Count == 0
                ? string.Empty
                : "; DKIM " + string.Join(", ", keys.Select(k =>
                    $"d={k.Domain} of '{k.Backend}' {(misaligned.Contains(k) ? "does NOT align" : "aligns")}"));
            if (misaligned.Length > 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"Policy {policy}{alignment} with the From domain {domain} ({(strict ? "strict" : "relaxed")}): those messages pass DMARC only " +
                        "through SPF.",
                    $"Sign with -DkimDomain {domain} (and publish its record), or send from an address at " +
                        $"{string.Join(", ", misaligned.Select(k => k.Domain).Distinct())}.");
            }

            return new DomainCheck(Name, DomainCheckStatus.Pass, $"Policy {policy}{alignment}.");
        }

        /// <summary>Second-level labels under a two-letter country code that registries sell names under (co.uk, com.au, ne.jp).</summary>
        private static readonly HashSet<string> PublicSecondLevels = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "ac", "co", "com", "edu", "gen", "go", "gob", "gov", "gv", "ltd", "me", "mil", "ne", "net", "nhs", "nic", "nom", "or", "org", "plc",
                "sch",
        };

        /// <summary>
        /// The DMARC records at _dmarc.domain, or else at its organizational domain's (RFC 7489 6.6.3), and nowhere
        /// else. Records that do not start with v=DMARC1 are not DMARC records; one that starts like one but is misspelt
        /// is kept, to be shown as malformed rather than silently ignored.
        /// </summary>
        private static (string At, string[] Records) Find(string domain, DnsLookup dns)
        {
            foreach (var name in new[] { domain, OrganizationalDomain(domain) }.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var at = "_dmarc." + name;
                var records = dns.Txt(at).Where(r => r.TrimStart().StartsWith("v=dmarc", StringComparison.OrdinalIgnoreCase)).ToArray();
                if (records.Length > 0)
                {
                    return (at, records);
                }
            }

            return ("_dmarc." + domain, Array.Empty<string>());
        }

        /// <summary>
        /// The registrable name a domain is under: its last two labels, or three under a public second level (mail.example.co.uk:
        /// example.co.uk). Without the public suffix list this is an approximation: suffixes it does not know (a city
        /// under a ccTLD, a cloud provider's customer domains) are taken as organizations, so their record is read.
        /// </summary>
        private static string OrganizationalDomain(string domain)
        {
            var labels = domain.Split('.');
            var keep = labels.Length >= 3 && labels[labels.Length - 1].Length == 2 && PublicSecondLevels.Contains(labels[labels.Length - 2]) ? 3 : 2;
            return string.Join(".", labels.Skip(Math.Max(0, labels.Length - keep)));
        }

        /// <summary>Why the record is malformed, or null; fills the tags (names lower case) when it parses.</summary>
        private static string? Parse(string record, out Dictionary<string, string> tags)
        {
            tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var parts = record.Split(';').Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
            foreach (var part in parts)
            {
                var equals = part.IndexOf('=');
                if (equals <= 0)
                {
                    return $"'{part}' is not a tag=value pair";
                }

                tags[part.Substring(0, equals).Trim().ToLowerInvariant()] = part.Substring(equals + 1).Trim();
            }

            // Tag names are case-insensitive (V=, P=); the version's value is exactly DMARC1 (RFC 7489 6.3).
            var version = parts[0].Split(new[] { '=' }, 2);
            if (!version[0].Trim().Equals("v", StringComparison.OrdinalIgnoreCase) || version.Length < 2 || !version[1].Trim()
                .Equals("DMARC1", StringComparison.Ordinal))
            {
                return $"it must begin with v=DMARC1, not '{parts[0]}'";
            }

            if (!tags.TryGetValue("p", out var p))
            {
                return "it has no p= policy";
            }

            foreach (var (tag, allowed) in new[] { ("p", Policies), ("sp", Policies), ("adkim", new[] { "r", "s" }), ("aspf", new[] { "r", "s" }) })
            {
                if (tags.TryGetValue(tag, out var value) && !allowed.Contains(value.ToLowerInvariant()))
                {
                    return $"{tag}={value} is not one of {string.Join(", ", allowed)}";
                }
            }

            tags["p"] = p.ToLowerInvariant();
            if (tags.TryGetValue("pct", out var pct) && (!int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out var percent)
                || percent > 100))
            {
                return $"pct={pct} is not a number from 0 to 100";
            }

            return null;
        }

        /// <summary>
        /// Strict: the same name. Relaxed: the same organizational domain, taken here as one name being the other or
        /// under it (without the public suffix list, siblings such as a.example.com and b.example.com are not recognized).
        /// </summary>
        private static bool Aligned(string fromDomain, string dkimDomain, bool strict) =>
            string.Equals(fromDomain, dkimDomain, StringComparison.OrdinalIgnoreCase) ||
            !strict && (fromDomain.EndsWith("." + dkimDomain, StringComparison.OrdinalIgnoreCase)
                || dkimDomain.EndsWith("." + fromDomain, StringComparison.OrdinalIgnoreCase));
    }
}
