using System;
using System.Collections.Generic;
using System.Linq;
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
            if (text.Length == 0)
            {
                throw new MessageValidationException($"The {parameter} address is empty.", parameter, value);
            }

            if (!MailboxAddress.TryParse(Strict, text, out var mailbox) || !IsComplete(mailbox))
            {
                throw new MessageValidationException(
                    $"'{text}' is not a valid e-mail address for -{parameter}. Expected a form such as 'user@example.com' or 'Display Name <user@example.com>'.",
                    parameter,
                    value);
            }

            RequireWithinLimits(mailbox, parameter, value);
            return mailbox;
        }

        /// <summary>
        /// RFC 5321's limits, which servers enforce (often by dropping the mail later): local part 64 octets, domain
        /// labels 63, the whole path 254; and nothing in RCPT TO that is not printable (a quoted local part may hold a TAB).
        /// </summary>
        private static void RequireWithinLimits(MailboxAddress mailbox, string parameter, string value)
        {
            var control = mailbox.Address.FirstOrDefault(c => c < ' ' || ControlCharacters.IsUnsafe(c));
            if (control != '\0')
            {
                throw new MessageValidationException(
                    $"The -{parameter} address '{ControlCharacters.Escape(mailbox.Address)}' contains the control character {ControlCharacters.Describe(control)}, which no server accepts.", parameter, value);
            }

            string ascii;
            try
            {
                ascii = mailbox.GetAddress(idnEncode: true);
            }
            catch (ArgumentException ex)
            {
                throw new MessageValidationException($"The domain of the -{parameter} address '{mailbox.Address}' is not a valid domain name: {ex.Message}", parameter, value, inner: ex);
            }

            string? problem = null;
            var domain = ascii.Substring(ascii.LastIndexOf('@') + 1);
            if (Encoding.UTF8.GetByteCount(mailbox.LocalPart) > MaxLocalPart)
            {
                problem = $"its local part (before '@') is longer than {MaxLocalPart} characters";
            }
            else if (!domain.StartsWith("[", StringComparison.Ordinal) && domain.Split('.').Any(label => label.Length > MaxLabel))
            {
                problem = $"a label of its domain (between dots) is longer than {MaxLabel} characters";
            }
            else if (Encoding.UTF8.GetByteCount(ascii) > MaxAddress)
            {
                problem = $"it is longer than {MaxAddress} characters";
            }

            if (problem is not null)
            {
                throw new MessageValidationException($"The -{parameter} address '{mailbox.Address}' is too long for mail: {problem}.", parameter, value);
            }
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
