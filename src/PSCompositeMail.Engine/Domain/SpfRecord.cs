using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>One term of an SPF record (RFC 7208 section 4.6.1): a directive (qualifier and mechanism) or a modifier (name=value).</summary>
    internal sealed class SpfTerm
    {
        public SpfTerm(string text, char qualifier, string name, string? domainSpec, IPAddress? network, int prefix4, int prefix6, bool isModifier)
        {
            Text = text;
            Qualifier = qualifier;
            Name = name;
            DomainSpec = domainSpec;
            Network = network;
            Prefix4 = prefix4;
            Prefix6 = prefix6;
            IsModifier = isModifier;
        }

        public string Text { get; }

        /// <summary>+ - ~ ?</summary>
        public char Qualifier { get; }

        /// <summary>all, include, a, mx, ptr, ip4, ip6, exists; or the modifier's name (redirect, exp, ...), lower case.</summary>
        public string Name { get; }

        /// <summary>The target (include:, a:, redirect=, ...), macros unexpanded; null for "this domain".</summary>
        public string? DomainSpec { get; }

        /// <summary>ip4: and ip6: networks.</summary>
        public IPAddress? Network { get; }

        public int Prefix4 { get; }

        public int Prefix6 { get; }

        public bool IsModifier { get; }

        /// <summary>include, a, mx, ptr, exists and redirect each cost one of the ten DNS lookups (RFC 7208 4.6.4).</summary>
        public bool CostsLookup => Name is "include" or "a" or "mx" or "ptr" or "exists" or "redirect";
    }

    /// <summary>A parsed v=spf1 record; a syntax error is a <see cref="FormatException"/> naming the term (a permerror for receivers).</summary>
    internal sealed class SpfRecord
    {
        private static readonly Regex ModifierName = new Regex("^[A-Za-z][A-Za-z0-9_.-]*=", RegexOptions.CultureInvariant);
        private static readonly Regex Macro = new Regex(
            "%(?:\\{(?<letter>[slodiphcrtvSLODIPHCRTV])(?<digits>[0-9]*)(?<reverse>[rR]?)(?<delimiters>[.+,/_=-]*)\\}|(?<escape>[%_-]))",
            RegexOptions.CultureInvariant);
        private static readonly Regex DottedQuad = new Regex(
            "^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$",
            RegexOptions.CultureInvariant);
        private static readonly Regex Literal = new Regex("^[\\x21-\\x24\\x26-\\x7e]*$", RegexOptions.CultureInvariant);

        private SpfRecord(string text, IReadOnlyList<SpfTerm> terms)
        {
            Text = text;
            Terms = terms;
        }

        public string Text { get; }

        public IReadOnlyList<SpfTerm> Terms { get; }

        public IEnumerable<SpfTerm> Directives => Terms.Where(t => !t.IsModifier);

        public SpfTerm? Redirect => Terms.FirstOrDefault(t => t.IsModifier && t.Name == "redirect");

        public SpfTerm? All => Terms.FirstOrDefault(t => !t.IsModifier && t.Name == "all");

        /// <summary>Whether a TXT record is an SPF record: "v=spf1" alone or followed by a space (RFC 7208 4.5).</summary>
        public static bool IsSpf(string txt) =>
            txt.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (txt.Length == 6 || txt[6] == ' ');

        public static SpfRecord Parse(string text)
        {
            var terms = new List<SpfTerm>();
            foreach (var word in text.Substring(6).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                terms.Add(ParseTerm(word));
            }

            foreach (var name in new[] { "redirect", "exp" })
            {
                if (terms.Count(t => t.IsModifier && t.Name == name) > 1)
                {
                    throw new FormatException($"'{name}=' appears more than once.");
                }
            }

            return new SpfRecord(text, terms);
        }

        /// <summary>The record with a term added just before its "all" (or its redirect, or at the end): what to publish to permit one more
        /// sender.</summary>
        public string WithTerm(string term)
        {
            var words = Text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).ToList();
            var at = words.FindIndex(1, w => w.TrimStart('+', '-', '~', '?').Equals("all", StringComparison.OrdinalIgnoreCase)
                || w.StartsWith("redirect=", StringComparison.OrdinalIgnoreCase));
            words.Insert(at < 0 ? words.Count : at, term);
            return string.Join(" ", words);
        }

        /// <summary>The record with its "all" replaced.</summary>
        public string WithAll(string all) =>
            string.Join(" ", Text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
                .Select((w, i) => i > 0 && w.TrimStart('+', '-', '~', '?').Equals("all", StringComparison.OrdinalIgnoreCase) ? all : w));

        /// <summary>Expands the macros of a domain-spec (RFC 7208 section 7) for one sender address and client IP.</summary>
        public static string Expand(string spec, string domain, string sender, IPAddress ip)
        {
            var at = sender.LastIndexOf('@');
            var local = at < 0 ? "postmaster" : sender.Substring(0, at);
            var senderDomain = at < 0 ? sender : sender.Substring(at + 1);
            var expanded = Macro.Replace(spec, m =>
            {
                if (m.Groups["escape"].Success)
                {
                    return m.Groups["escape"].Value switch { "%" => "%", "_" => " ", _ => "%20" };
                }

                var value = char.ToLowerInvariant(m.Groups["letter"].Value[0]) switch
                {
                    's' => sender,
                    'l' => local,
                    'o' => senderDomain,
                    'd' => domain,
                    'i' => DottedAddress(ip),
                    'v' => ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
                    'h' => domain,
                    // p needs a validated reverse name; RFC 7208 7.3 allows "unknown" and discourages p.
                    _ => "unknown",
                };
                var delimiters = m.Groups["delimiters"].Value;
                var parts = value.Split((delimiters.Length == 0 ? "." : delimiters).ToCharArray()).ToList();
                if (m.Groups["reverse"].Value.Length > 0)
                {
                    parts.Reverse();
                }

                if (m.Groups["digits"].Value.Length > 0 && int.TryParse(m.Groups["digits"].Value, NumberStyles.None, CultureInfo.InvariantCulture,
                    out var keep) && keep > 0 && keep < parts.Count)
                {
                    parts = parts.Skip(parts.Count - keep).ToList();
                }

                return string.Join(".", parts);
            });
            expanded = expanded.TrimEnd('.');
            // RFC 7208 7.3: a name longer than 253 characters loses labels from the left until it fits.
            while (expanded.Length > 253 && expanded.IndexOf('.') >= 0)
            {
                expanded = expanded.Substring(expanded.IndexOf('.') + 1);
            }

            return expanded;
        }

        public static bool HasMacro(string spec) => spec.IndexOf('%') >= 0;

        private static SpfTerm ParseTerm(string word)
        {
            if (ModifierName.IsMatch(word))
            {
                var equals = word.IndexOf('=');
                var name = word.Substring(0, equals).ToLowerInvariant();
                var value = word.Substring(equals + 1);
                if (name is "redirect" or "exp")
                {
                    RequireDomainSpec(word, value);
                }
                else
                {
                    RequireMacroString(word, value);
                }

                return new SpfTerm(word, '+', name, value, null, 32, 128, isModifier: true);
            }

            var qualifier = "+-~?".IndexOf(word[0]) >= 0 ? word[0] : '+';
            var body = "+-~?".IndexOf(word[0]) >= 0 ? word.Substring(1) : word;
            var end = body.IndexOfAny(new[] { ':', '/' });
            var mechanism = (end < 0 ? body : body.Substring(0, end)).ToLowerInvariant();
            var argument = end < 0 ? null : body.Substring(end);
            switch (mechanism)
            {
                case "all":
                    if (argument is not null)
                    {
                        throw new FormatException($"'{word}': all takes no argument.");
                    }

                    return new SpfTerm(word, qualifier, mechanism, null, null, 32, 128, isModifier: false);
                case "include" or "exists":
                    if (argument is null || !argument.StartsWith(":", StringComparison.Ordinal))
                    {
                        throw new FormatException($"'{word}': {mechanism} needs a domain ({mechanism}:example.com).");
                    }

                    RequireDomainSpec(word, argument.Substring(1));
                    return new SpfTerm(word, qualifier, mechanism, argument.Substring(1), null, 32, 128, isModifier: false);
                case "a" or "mx" or "ptr":
                    return ParseHostMechanism(word, qualifier, mechanism, argument);
                case "ip4" or "ip6":
                    return ParseNetwork(word, qualifier, mechanism, argument);
                default:
                    throw new FormatException(
                        $"'{word}' is not an SPF mechanism (all, include, a, mx, ptr, ip4, ip6, exists) nor a modifier (name=value).");
            }
        }

        /// <summary>a, mx and ptr: an optional :domain, and for a and mx optional /ip4-prefix and //ip6-prefix.</summary>
        private static SpfTerm ParseHostMechanism(string word, char qualifier, string mechanism, string? argument)
        {
            string? spec = null;
            var prefix4 = 32;
            var prefix6 = 128;
            var rest = argument ?? string.Empty;
            if (rest.StartsWith(":", StringComparison.Ordinal))
            {
                var slash = rest.IndexOf('/');
                spec = slash < 0 ? rest.Substring(1) : rest.Substring(1, slash - 1);
                RequireDomainSpec(word, spec);
                rest = slash < 0 ? string.Empty : rest.Substring(slash);
            }

            if (rest.Length > 0)
            {
                if (mechanism == "ptr")
                {
                    throw new FormatException($"'{word}': ptr takes no prefix length.");
                }

                var match = Regex.Match(rest, "^(?:/([0-9]{1,2}))?(?://([0-9]{1,3}))?$", RegexOptions.CultureInvariant);
                if (!match.Success)
                {
                    throw new FormatException($"'{word}': the prefix length must be /0 to /32 for IPv4 and //0 to //128 for IPv6.");
                }

                prefix4 = match.Groups[1].Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 32;
                prefix6 = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 128;
                if (prefix4 > 32 || prefix6 > 128)
                {
                    throw new FormatException($"'{word}': the prefix length must be /0 to /32 for IPv4 and //0 to //128 for IPv6.");
                }
            }

            return new SpfTerm(word, qualifier, mechanism, spec, null, prefix4, prefix6, isModifier: false);
        }

        private static SpfTerm ParseNetwork(string word, char qualifier, string mechanism, string? argument)
        {
            var family = mechanism == "ip4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
            var maximum = mechanism == "ip4" ? 32 : 128;
            if (argument is null || !argument.StartsWith(":", StringComparison.Ordinal))
            {
                throw new FormatException(
                    $"'{word}': {mechanism} needs a network ({(mechanism == "ip4" ? "ip4:192.0.2.0/24" : "ip6:2001:db8::/32")}).");
            }

            var network = argument.Substring(1);
            var slash = network.IndexOf('/');
            var prefix = maximum;
            if (slash >= 0 && (!int.TryParse(network.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > maximum))
            {
                throw new FormatException($"'{word}': the prefix length must be 0 to {maximum}.");
            }

            var address = slash < 0 ? network : network.Substring(0, slash);
            // IPAddress.TryParse also takes "10", "10.1", octal "010" and hex "0x0a" as IPv4: SPF wants four decimal
            // numbers without leading zeros (RFC 7208 4.6.1, qnum); receivers take anything else as a permerror.
            if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != family || family == AddressFamily.InterNetwork
                && !DottedQuad.IsMatch(address))
            {
                throw new FormatException($"'{word}': '{address}' is not an {(mechanism == "ip4" ? "IPv4" : "IPv6")} address.");
            }

            return new SpfTerm(word, qualifier, mechanism, null, ip, family == AddressFamily.InterNetwork ? prefix : 32,
                family == AddressFamily.InterNetworkV6 ? prefix : 128, isModifier: false);
        }

        private static void RequireDomainSpec(string word, string spec)
        {
            RequireMacroString(word, spec);
            if (spec.Length == 0 || !HasMacro(spec) && PSCompositeMail.Messages.DnsName.ToAscii(spec.Replace("_", "x")) is null)
            {
                throw new FormatException($"'{word}': '{spec}' is not a domain name.");
            }
        }

        /// <summary>Literal characters and well-formed macros only (RFC 7208 7.1).</summary>
        private static void RequireMacroString(string word, string value)
        {
            if (!Literal.IsMatch(Macro.Replace(value, string.Empty)))
            {
                throw new FormatException($"'{word}' holds a malformed macro or a character SPF does not allow.");
            }
        }

        /// <summary>%{i}: IPv4 dotted, IPv6 as dotted nibbles.</summary>
        private static string DottedAddress(IPAddress ip) =>
            ip.AddressFamily == AddressFamily.InterNetworkV6
                ? string.Join(".", ip.GetAddressBytes().SelectMany(b => new[] { b >> 4, b & 0xF })
                    .Select(n => n.ToString("x", CultureInfo.InvariantCulture)))
                : ip.ToString();
    }
}
