using System;
using System.Collections.Generic;
using System.Linq;
using PSCompositeMail.Domain;

namespace PSCompositeMail.Engine.Domain
{
    /// <summary>DKIM: the record at each backend's selector exists and holds the public half of the key that backend signs with.</summary>
    internal static class DkimCheck
    {
        public const string Name = "DKIM";

        public static DomainCheck Run(DkimKeyToCheck key, DnsLookup dns)
        {
            var fix = $"Publish a TXT record at {key.RecordName} holding: {key.Record}";
            var expected = Tags(key.Record);
            var records = dns.Txt(key.RecordName);
            if (records.Count == 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"No TXT record at {key.RecordName}: receivers cannot verify the signatures of '{key.Backend}' (d={key.Domain}, " +
                        $"s={key.Selector}).", fix, key.Backend);
            }

            // Records holding the same key (k= and p=) are one key to verifiers, whichever they pick.
            var keys = records.Select(Tags).Where(t => t is not null && t.ContainsKey("p") && (!t.TryGetValue("v", out var v) || v == "DKIM1"))
                .GroupBy(t => (Compact(t!["p"]), t!.TryGetValue("k", out var type) ? type.ToLowerInvariant() : "rsa")).Select(g => g.First())
                    .ToArray();
            if (keys.Length == 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"The TXT record at {key.RecordName} is not a DKIM key record (v=DKIM1; k=...; p=...): {string.Join(" | ", records)}", fix,
                        key.Backend);
            }

            if (keys.Length > 1)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{key.RecordName} holds {keys.Length} DKIM key records; receivers may pick either, so signatures fail at random.",
                        "Keep only this one: " + key.Record, key.Backend);
            }

            var published = keys[0]!;
            var publishedKey = Compact(published["p"]);
            if (publishedKey.Length == 0)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail, $"The key at {key.RecordName} is revoked (empty p=).", fix, key.Backend);
            }

            var expectedKey = Compact(expected!["p"]);
            var publishedType = published.TryGetValue("k", out var k) ? k : "rsa";
            var expectedType = expected.TryGetValue("k", out var e) ? e : "rsa";
            if (!string.Equals(publishedKey, expectedKey, StringComparison.Ordinal)
                || !string.Equals(publishedType, expectedType, StringComparison.OrdinalIgnoreCase))
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{key.RecordName} holds a different key (k={publishedType}, p={Abbreviate(publishedKey)}) than the one '{key.Backend}' signs " +
                        $"with (k={expectedType}, p={Abbreviate(expectedKey)}): its signatures fail.",
                    $"Replace the TXT record at {key.RecordName} with: {key.Record}", key.Backend);
            }

            // The module signs with rsa-sha256 or ed25519-sha256, for e-mail: h= and s= must allow that (RFC 6376 3.6.1).
            var refused = published.TryGetValue("h", out var hashes) && !List(hashes).Contains("sha256")
                ? $"h={hashes} does not allow sha256, which '{key.Backend}' signs with"
                : published.TryGetValue("s", out var services) && !List(services).Any(s => s is "email" or "*")
                    ? $"s={services} does not allow e-mail"
                : null;
            if (refused is not null)
            {
                return new DomainCheck(Name, DomainCheckStatus.Fail,
                    $"{key.RecordName} holds the key '{key.Backend}' signs with, but {refused}: verifiers reject its signatures.",
                    $"Replace the TXT record at {key.RecordName} with: {key.Record}", key.Backend);
            }

            var testing = published.TryGetValue("t", out var flags) && flags.Split(':').Any(f => f.Trim() == "y");
            return testing
                ? new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"{key.RecordName} holds the key '{key.Backend}' signs with, but in test mode (t=y): receivers may ignore its signatures.",
                    "Remove t=y once signatures verify: " + key.Record, key.Backend)
                : new DomainCheck(Name, DomainCheckStatus.Pass,
                    $"{key.RecordName} holds the {expectedType} key '{key.Backend}' signs with (d={key.Domain}).", null, key.Backend);
        }

        /// <summary>The no-key case: nothing is signed, or no backend told which selector to look at.</summary>
        public static DomainCheck NotSigned(DomainCheckRequest request) =>
            request.UnsignedBackends.Count > 0
                ? new DomainCheck(Name, DomainCheckStatus.Warn,
                    $"{string.Join(", ", request.UnsignedBackends.Select(b => $"'{b}'"))} sign(s) with no DKIM key: DMARC then rests on SPF alone, " +
                        "which forwarding breaks.",
                    "Give the backend -DkimDomain, -DkimSelector and -DkimPrivateKeyPath, publish its DkimRecord, and check again.")
                : new DomainCheck(Name, DomainCheckStatus.Warn,
                    request.BackendsGiven
                        ? "Not checked: no backend signs with a DKIM key of its own (a provider's signing is set up in its admin centre)."
                        : "Not checked: DKIM records live at a selector only the sending backend knows; give -Backend to check them.");

        /// <summary>
        /// The tag=value list of a DKIM record (RFC 6376 3.2: tag names are case-sensitive, "P=" is not "p="), or null
        /// when it is not one, or has its v= anywhere but first (3.6.1).
        /// </summary>
        private static Dictionary<string, string>? Tags(string record)
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var part in record.Split(';'))
            {
                if (part.Trim().Length == 0)
                {
                    continue;
                }

                var equals = part.IndexOf('=');
                if (equals <= 0)
                {
                    return null;
                }

                var name = part.Substring(0, equals).Trim();
                if (name == "v" && tags.Count > 0)
                {
                    return null;
                }

                tags[name] = part.Substring(equals + 1).Trim();
            }

            return tags;
        }

        /// <summary>A colon-separated tag value (h=sha1:sha256), each item trimmed and lower case.</summary>
        private static string[] List(string value) => value.Split(':').Select(v => v.Trim().ToLowerInvariant()).ToArray();

        private static string Compact(string value) => new string(value.Where(c => !char.IsWhiteSpace(c)).ToArray());

        private static string Abbreviate(string key) => key.Length <= 24 ? key : $"{key.Substring(0, 12)}...{key.Substring(key.Length - 8)}";
    }
}
