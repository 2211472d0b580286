using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit.Utils;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// The -Headers fields whose syntax a standard fixes: those a script may set are checked (and written back in their
    /// normal form), those only servers and signers may write are refused with the reason. Any other field goes as
    /// given, encoded where needed.
    /// </summary>
    internal static class HeaderFieldRules
    {
        private const string ResentReason =
            "Resent-* fields say that an existing message was passed on again by someone (RFC 5322 3.6.6); a new message has none. To pass a " +
                "message on, send its .eml file with -Path";

        private const string ArcReason =
            "ARC-* fields are added by servers that forward mail (RFC 8617); one written by the sender forges their verdict";

        /// <summary>Fields a sender must never write: servers on the way or signers write them, and receivers trust them.</summary>
        private static readonly Dictionary<string, string> Forbidden = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Return-Path"] = "the server that delivers the message writes it from the envelope sender (RFC 5321 4.4): give -Sender (or -From) " +
                "instead",
            ["Received"] = "each server on the way adds its own (RFC 5321 4.4); one written by the sender forges the message's trace",
            ["Authentication-Results"] =
                "the receiving server writes it after checking SPF, DKIM and DMARC (RFC 8601); one written by the sender forges that verdict",
            ["DKIM-Signature"] =
                "it is computed over the finished message: give New-MailBackend -DkimDomain, -DkimSelector and -DkimPrivateKeyPath and the backend " +
                "signs",
            ["Received-SPF"] = "the receiving server writes it as a trace field after checking SPF (RFC 7208 9.1); one written by the sender " +
                "forges that verdict",
            ["X-Original-Authentication-Results"] =
                "a forwarding server writes it to keep the verdict of an earlier hop; one written by the sender forges that verdict",
            ["Delivered-To"] = "the server that delivers the message writes it for the mailbox it delivers to; one written by the sender misleads " +
                "loop detection and filters",
            ["Envelope-To"] = "the delivering server writes it from the envelope recipient; one written by the sender misleads filters",
            ["Apparently-To"] = "servers write it from the envelope when a message has no To; give -To, -Cc or -Bcc instead",
            ["DomainKey-Signature"] =
                "it is the signature of DomainKeys, DKIM's predecessor (RFC 4870), computed by a signer over the finished message; one copied from " +
                "elsewhere replays another's signature",
            ["X-Received"] = "servers on the way add it as a trace field, as they do Received; one written by the sender forges the message's trace",
            ["X-Original-To"] = "the delivering server writes it from the envelope recipient; one written by the sender misleads filters",
            ["X-Envelope-From"] =
                "servers write it from the envelope sender; one written by the sender misleads filters: give -Sender (or -From) instead",
            ["X-Authentication-Warning"] = "a server writes it when it doubts who sent a message; one written by the sender forges that verdict",
        };

        /// <summary>Families of fields that receiving servers and their filters write: a sender's copy would forge their verdict.</summary>
        private static readonly KeyValuePair<string, string>[] ForbiddenPrefixes =
        {
            new KeyValuePair<string, string>("X-MS-Exchange-Organization-",
                "Exchange writes X-MS-Exchange-Organization-* fields inside an organization (its spam verdict, who authenticated); Exchange trusts " +
                "them, so a sender's copy forges them"),
            new KeyValuePair<string, string>("X-Forefront-",
                "Microsoft's filters write X-Forefront-* fields with their spam verdict; one written by the sender forges it"),
            new KeyValuePair<string, string>("X-Spam-",
                "spam filters (SpamAssassin and others) write X-Spam-* fields with their verdict; one written by the sender forges it"),
            new KeyValuePair<string, string>("Resent-", ResentReason),
            new KeyValuePair<string, string>("ARC-", ArcReason),
        };

        /// <summary>The URL schemes a List-* field may point to: a mail reader acts on them, so nothing that runs code (javascript:,
        /// data:).</summary>
        private static readonly string[] ListUrlSchemes = { "mailto:", "http:", "https:" };

        /// <summary>RFC 2369 fields: one or more URLs in angle brackets, separated by commas.</summary>
        private static readonly HashSet<string> ListUrlFields = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner", "List-Archive",
        };

        /// <summary>The value to write for the field <paramref name="name"/>, or a <see cref="MessageValidationException"/> saying why not.</summary>
        public static string Check(string name, string value)
        {
            var parameter = $"Headers['{name}']";
            if (ForbiddenReason(name) is { } reason)
            {
                throw new MessageValidationException($"-Headers cannot set '{name}': {reason}.", "Headers", name);
            }

            switch (name.ToUpperInvariant())
            {
                case "DATE":
                    return RfcDateTime.IsValid(value)
                        ? value.Trim()
                        : throw new MessageValidationException(
                            $"'{value}' is not a valid -{parameter}: give an RFC 5322 date-time with a real time and zone, such as " +
                                $"'{DateUtils.FormatDate(DateTimeOffset.Now)}', or omit it and the time of sending is written.",
                            parameter,
                            value);
                case "IN-REPLY-TO":
                case "REFERENCES":
                    return HeaderInputValidator.MessageIdList(value, parameter);
                case "LIST-ID":
                    return IsListId(value) ? value : throw Invalid(parameter, value,
                        "a list name in angle brackets, such as 'Ops alerts <alerts.ops.example.com>' (RFC 2919)");
                case "LIST-UNSUBSCRIBE-POST":
                    return value.Trim() == "List-Unsubscribe=One-Click" ? value
                        : throw Invalid(parameter, value, "exactly 'List-Unsubscribe=One-Click' (RFC 8058)");
                case "LIST-POST" when value.Trim().Equals("NO", StringComparison.OrdinalIgnoreCase):
                    return value;
                case var _ when ListUrlFields.Contains(name):
                    return IsUrlList(value) ? value : throw Invalid(parameter, value,
                        "mailto:, http: or https: URLs in angle brackets separated by commas, such as '<mailto:leave@example.com>, " +
                        "<https://example.com/leave>' (RFC 2369); write any other character of a URL percent-encoded");
                default:
                    return value;
            }
        }

        /// <summary>
        /// What one field cannot say alone: List-Unsubscribe-Post asks for a one-click POST to the https URL of
        /// List-Unsubscribe (RFC 8058 3.1), so it needs one.
        /// </summary>
        public static void CheckTogether(IReadOnlyCollection<KeyValuePair<string, string>> headers)
        {
            var post = headers.FirstOrDefault(h => h.Key.Equals("List-Unsubscribe-Post", StringComparison.OrdinalIgnoreCase));
            if (post.Key is null)
            {
                return;
            }

            var unsubscribe = headers.FirstOrDefault(h => h.Key.Equals("List-Unsubscribe", StringComparison.OrdinalIgnoreCase)).Value;
            if (unsubscribe is null || !Urls(unsubscribe).Any(url => url.StartsWith("https:", StringComparison.OrdinalIgnoreCase)))
            {
                throw new MessageValidationException(
                    $"-Headers['{post.Key}'] needs a List-Unsubscribe with an https URL to post to (RFC 8058), such as " +
                        $"'<https://example.com/leave?u=42>'; List-Unsubscribe is '{unsubscribe}'.",
                    $"Headers['{post.Key}']",
                    post.Value);
            }
        }

        /// <summary>
        /// Why an .eml file given as input may not carry the field, or null. Its own DKIM-Signature may stay: receivers
        /// check it against the signer's published key, so it cannot be forged, and such a file goes out byte for byte.
        /// </summary>
        public static string? ForbiddenInFile(string name) =>
            name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase) ? null : ForbiddenReason(name);

        /// <summary>A field name as the standard spells it when it is one of the known ones ('AuThEnTiCaTiOn-ReSuLtS' is Authentication-Results);
        /// else as given.</summary>
        public static string CanonicalName(string name) =>
            Forbidden.Keys.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? ForbiddenPrefixes.Where(p => name.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase))
                .Select(p => p.Key + name.Substring(p.Key.Length)).FirstOrDefault()
            ?? name;

        private static string? ForbiddenReason(string name) =>
            Forbidden.TryGetValue(name, out var reason) ? reason
            : ForbiddenPrefixes.Where(p => name.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value).FirstOrDefault();

        private static MessageValidationException Invalid(string parameter, string value, string expected) =>
            new MessageValidationException($"'{value}' is not a valid -{parameter}: give {expected}.", parameter, value);

        /// <summary>'&lt;url&gt;, &lt;url&gt;': each URL has an allowed scheme and only printable ASCII without spaces or angle brackets.</summary>
        private static bool IsUrlList(string value) =>
            Urls(value).All(url =>
                ListUrlSchemes.Any(scheme => url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && url.Length > scheme.Length) &&
                url.All(c => c > ' ' && c < 127 && c != '<' && c != '>'));

        /// <summary>The URLs of a List-* value, without their angle brackets; an item not in brackets is an empty URL.</summary>
        private static IEnumerable<string> Urls(string value) =>
            value.Split(',').Select(url =>
            {
                var item = url.Trim();
                return item.Length > 2 && item[0] == '<' && item[item.Length - 1] == '>' ? item.Substring(1, item.Length - 2) : string.Empty;
            });

        /// <summary>An optional phrase, then '&lt;list-label.namespace&gt;' in dot-atom text with at least one dot.</summary>
        private static bool IsListId(string value)
        {
            var trimmed = value.TrimEnd();
            var open = trimmed.LastIndexOf('<');
            if (open < 0 || !trimmed.EndsWith(">", StringComparison.Ordinal))
            {
                return false;
            }

            var id = trimmed.Substring(open + 1, trimmed.Length - open - 2);
            return id.IndexOf('.') > 0 && HeaderInputValidator.IsDotAtomText(id);
        }
    }
}
