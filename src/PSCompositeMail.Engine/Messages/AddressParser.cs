using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>Turns what users type (one address, or several separated by ',' or ';') into mailboxes, strictly.</summary>
    internal static class AddressParser
    {
        private const int MaxLocalPart = 64;
        private const int MaxLabel = 63;
        private const int MaxAddress = 254;

        private static readonly ParserOptions Strict = CreateStrictOptions();

        private static ParserOptions CreateStrictOptions()
        {
            var options = ParserOptions.Default.Clone();
            options.AllowAddressesWithoutDomain = false;
            options.AddressParserComplianceMode = RfcComplianceMode.Strict;
            return options;
        }

        public static List<MailboxAddress> ParseList(IEnumerable<string>? values, string parameter)
        {
            var mailboxes = new List<MailboxAddress>();
            if (values is null)
            {
                return mailboxes;
            }

            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                foreach (var part in SplitList(value))
                {
                    mailboxes.Add(ParseOne(part, parameter));
                }
            }

            return mailboxes;
        }

        public static MailboxAddress ParseOne(string value, string parameter)
        {
            var text = value.Trim();
            HeaderValueGuard.RejectLineBreaks(text, parameter);
            HeaderValueGuard.RejectUnpairedSurrogates(text, parameter);
            if (text.Length == 0)
            {
                throw new MessageValidationException($"The {parameter} address is empty.", parameter, value);
            }

            if (!MailboxAddress.TryParse(Strict, text, out var mailbox) || !IsComplete(mailbox))
            {
                throw new MessageValidationException(
                    $"'{text}' is not a valid e-mail address for -{parameter}. Expected a form such as 'user@example.com' or 'Display Name " +
                        "<user@example.com>'.",
                    parameter,
                    value);
            }

            if (Problem(mailbox) is { } problem)
            {
                throw new MessageValidationException($"The -{parameter} address '{ControlCharacters.Escape(mailbox.Address)}' {problem}.", parameter,
                    value);
            }

            // The display name is RFC 2047-encoded on the wire, and the reader's client decodes it: the header rule applies.
            HeaderValueGuard.RejectControlCharacters(mailbox.Name, parameter + " display name");
            return mailbox;
        }

        /// <summary>
        /// What makes an address that parsed unfit to send, or null: the same rules for the parameters and for the
        /// headers of an .eml file given as input, whose addresses become the envelope too.
        /// </summary>
        /// <remarks>
        /// RFC 5321's limits, which servers enforce (often by dropping the mail later): local part 64 octets, domain
        /// labels 63, the whole path 254; nothing in RCPT TO that is not printable (a quoted local part may hold a TAB);
        /// no invisible formatting character (RFC 6531 wants valid U-labels, and U+202E reverses what a reader sees);
        /// and a domain IDNA can convert, since MimeKit otherwise sends it raw.
        /// </remarks>
        internal static string? Problem(MailboxAddress mailbox)
        {
            // Loops rather than LINQ and Split: every address of every message passes here.
            var address = mailbox.Address;
            var control = FirstUnsafe(address);
            if (control != '\0')
            {
                return $"contains the control character {ControlCharacters.Describe(control)}, which no server accepts";
            }

            var invisible = HeaderValueGuard.IndexOfFormatCharacter(address);
            if (invisible >= 0)
            {
                return $"contains the invisible formatting character {ControlCharacters.Describe(address[invisible])}, which makes it look like " +
                    "another address";
            }

            var at = address.LastIndexOf('@');
            var domain = address.Substring(at + 1);
            if (!domain.StartsWith("[", StringComparison.Ordinal) && !IsAscii(domain))
            {
                try
                {
                    domain = new IdnMapping().GetAscii(domain);
                }
                catch (ArgumentException ex)
                {
                    return $"has no valid domain name: IDNA cannot convert '{domain}' to ASCII ({ex.Message})";
                }
            }

            if (Encoding.UTF8.GetByteCount(mailbox.LocalPart) > MaxLocalPart)
            {
                return $"is too long for mail: its local part (before '@') is longer than {MaxLocalPart} characters";
            }

            if (!domain.StartsWith("[", StringComparison.Ordinal) && LongestLabel(domain) > MaxLabel)
            {
                return $"is too long for mail: a label of its domain (between dots) is longer than {MaxLabel} characters";
            }

            return Encoding.UTF8.GetByteCount(address.Substring(0, at + 1)) + domain.Length > MaxAddress
                ? $"is too long for mail: it is longer than {MaxAddress} characters"
                : null;
        }

        /// <summary>The first control or otherwise unsafe character of <paramref name="text"/>, or '\0' when there is none.</summary>
        private static char FirstUnsafe(string text)
        {
            foreach (var c in text)
            {
                if (c < ' ' || ControlCharacters.IsUnsafe(c))
                {
                    return c;
                }
            }

            return '\0';
        }

        /// <summary>Whether every character of <paramref name="text"/> is ASCII (a domain to convert, a local part that needs SMTPUTF8).</summary>
        internal static bool IsAscii(string text)
        {
            foreach (var c in text)
            {
                if (c > 127)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The length of the longest label (the text between dots) of <paramref name="domain"/>.</summary>
        private static int LongestLabel(string domain)
        {
            var longest = 0;
            var start = 0;
            for (int dot; (dot = domain.IndexOf('.', start)) >= 0; start = dot + 1)
            {
                longest = Math.Max(longest, dot - start);
            }

            return Math.Max(longest, domain.Length - start);
        }

        private static bool IsComplete(MailboxAddress mailbox)
        {
            var at = mailbox.Address.LastIndexOf('@');
            return at > 0 && at < mailbox.Address.Length - 1 && mailbox.Route.Count == 0;
        }

        /// <summary>Splits on ',' and ';' outside quoted display names and angle brackets.</summary>
        internal static IEnumerable<string> SplitList(string value)
        {
            var current = new StringBuilder();
            var quoted = false;
            var angle = false;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '\\' && quoted && i + 1 < value.Length)
                {
                    current.Append(c).Append(value[++i]);
                    continue;
                }

                switch (c)
                {
                    case '"':
                        quoted = !quoted;
                        break;
                    case '<' when !quoted:
                        angle = true;
                        break;
                    case '>' when !quoted:
                        angle = false;
                        break;
                    case ',' or ';' when !quoted && !angle:
                        if (Part(current) is { } part)
                        {
                            yield return part;
                        }

                        current.Clear();
                        continue;
                }

                current.Append(c);
            }

            if (Part(current) is { } last)
            {
                yield return last;
            }
        }

        private static string? Part(StringBuilder text)
        {
            var part = text.ToString();
            return string.IsNullOrWhiteSpace(part) ? null : part;
        }
    }
}
