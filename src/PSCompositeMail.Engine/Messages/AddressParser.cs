using System;
using System.Collections.Generic;
using System.Text;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>Turns what users type (one address, or several separated by ',' or ';') into mailboxes, strictly.</summary>
    internal static class AddressParser
    {
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

            return mailbox;
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
