using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// The header rules an .eml file given as input keeps before it goes out as it is (and is DKIM-signed as the
    /// sender's own): the rules -Headers follows, and RFC 5322's counts, so that no receiver reads the message
    /// otherwise than this module did (two From fields, one used for the envelope and another shown) and no trace or
    /// verdict field goes out under the sender's signature. An attached message (message/rfc822) is content, not
    /// this message's header, and is left as it is.
    /// </summary>
    internal static class LoadedHeaderRules
    {
        /// <summary>RFC 5322 3.6: the fields a message has at most one of.</summary>
        private static readonly string[] OncePerMessage =
        {
            "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "MIME-Version",
        };

        /// <summary>RFC 2045/2183/2392: the fields each entity has at most one of; two would let readers pick different bodies.</summary>
        private static readonly string[] OncePerEntity =
        {
            "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
        };

        /// <summary>Fields -Headers takes with a syntax to check; the file's must keep it too.</summary>
        private static readonly string[] StructuredFields =
        {
            "Date", "In-Reply-To", "References", "List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner",
                "List-Archive", "List-Unsubscribe-Post",
        };

        public static void Check(MimeMessage message, string path)
        {
            var entities = OwnEntities(message.Body).ToArray();
            foreach (var headers in entities.Select(e => e.Headers).Prepend(message.Headers))
            {
                foreach (var header in headers)
                {
                    if (WhatIsWrongWithName(header) is { } problem)
                    {
                        throw Refuse(path, problem);
                    }
                }
            }

            RequireAtMostOne(message.Headers, OncePerMessage, path, "message");
            foreach (var entity in entities)
            {
                RequireAtMostOne(entity.Headers, OncePerEntity, path, "message or part");
            }

            foreach (var header in message.Headers)
            {
                if (HeaderFieldRules.ForbiddenInFile(header.Field) is { } reason)
                {
                    throw Refuse(path, $"has a field {HeaderFieldRules.CanonicalName(header.Field)}: {reason}. A received message passed on keeps " +
                        "its trace and verdict fields, " +
                        "which its new receivers would trust: attach it (-Attachments) to pass it on, or remove those fields from the file");
                }

                if (StructuredFields.Contains(header.Field, StringComparer.OrdinalIgnoreCase))
                {
                    Checked(path, header, () => HeaderFieldRules.Check(header.Field, header.Value.Trim()));
                }
            }

            HeaderFieldRules.CheckTogether(message.Headers.Where(h => h.Field.StartsWith("List-", StringComparison.OrdinalIgnoreCase))
                .Select(h => new KeyValuePair<string, string>(h.Field, h.Value.Trim())).ToArray());
            RequireSenderOfManyAuthors(message, path);
            RequireShowableText(message, entities, path);
            foreach (var entity in entities)
            {
                RequireOneReadingOfParameters(entity, path);
            }
        }

        /// <summary>The message's body and the parts of its multiparts, not what is inside an attached message.</summary>
        private static IEnumerable<MimeEntity> OwnEntities(MimeEntity? entity)
        {
            if (entity is null)
            {
                yield break;
            }

            yield return entity;
            if (entity is Multipart multipart)
            {
                foreach (var descendant in multipart.SelectMany(OwnEntities))
                {
                    yield return descendant;
                }
            }
        }

        /// <summary>RFC 5322 2.2: a field name is printable ASCII up to its colon. Says how a name breaks that, or null.</summary>
        private static string? WhatIsWrongWithName(Header header)
        {
            // A line MimeKit cannot read as a field comes whole (to its line end) as the field's name.
            var text = System.Text.Encoding.UTF8.GetString(header.RawField);
            var line = text.TrimEnd('\r', '\n');
            var colon = line.IndexOf(':');
            var wholeLine = line.Length < text.Length;
            if (wholeLine && colon < 0)
            {
                return $"has a header line that is no field, '{ControlCharacters.Escape(line)}': no colon follows a field name";
            }

            var name = wholeLine ? line.Substring(0, colon) : line;
            if (name.Any(c => c > (char)126))
            {
                return $"has a field name with other characters than printable ASCII, '{ControlCharacters.Escape(name)}' (RFC 5322 2.2): readers " +
                    "would not agree on what field it is";
            }

            return name.Any(c => c <= ' ' || c == (char)127)
                ? $"has white space before the colon of its field name '{ControlCharacters.Escape(name)}'; readers disagree on whether that is the " +
                    "field, so it is refused: write the name and the colon together"
                : null;
        }

        private static void RequireAtMostOne(HeaderList headers, IEnumerable<string> fields, string path, string what)
        {
            foreach (var field in fields)
            {
                var count = headers.Count(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase));
                if (count > 1)
                {
                    throw Refuse(path, $"has {count} {field} fields where a {what} has at most one (RFC 5322 3.6, RFC 2045): readers would not " +
                        "agree on which one counts");
                }
            }
        }

        /// <summary>
        /// RFC 2045 5.1 and RFC 2231: a parameter is given once. Readers differ on which of two they take (the first,
        /// the last, the RFC 2231 one), so a boundary, charset or file name given twice, a file name given plain and
        /// as filename* with another value, or a Content-Type name that is not the Content-Disposition filename would
        /// let this module check one and the receiver open another.
        /// </summary>
        private static void RequireOneReadingOfParameters(MimeEntity entity, string path)
        {
            foreach (var header in entity.Headers.Where(h => h.Id is HeaderId.ContentType or HeaderId.ContentDisposition))
            {
                var given = MimeParameterNames.Read(header.RawValue).ToList();
                var twice = given.GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
                if (twice is not null)
                {
                    throw Refuse(path, $"gives the parameter {ControlCharacters.Escape(twice.Key)} twice in a {header.Field} field: readers would " +
                        "not agree on which one counts");
                }

                foreach (var name in given.Where(p => p.Key.EndsWith("*", StringComparison.Ordinal)).Select(p => p.Key.TrimEnd('*'))
                    .Where(n => !n.Contains('*')))
                {
                    if (given.Any(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) &&
                        !string.Equals(MimeParameterNames.Decoded(header, name, extended: false),
                            MimeParameterNames.Decoded(header, name, extended: true), StringComparison.Ordinal))
                    {
                        throw Refuse(path, $"gives the parameter {ControlCharacters.Escape(name)} twice in a {header.Field} field, plain and as " +
                            $"{ControlCharacters.Escape(name)}* (RFC 2231), with different values: readers would not agree on which one counts");
                    }
                }
            }

            if (entity is MimePart part && part.ContentType.Name is { } typeName && part.ContentDisposition?.FileName is { } fileName &&
                !string.Equals(typeName, fileName, StringComparison.Ordinal))
            {
                throw Refuse(path, $"names an attachment '{ControlCharacters.Escape(typeName)}' in its Content-Type and " +
                    $"'{ControlCharacters.Escape(fileName)}' in its Content-Disposition: readers would not agree on its name");
            }
        }

        /// <summary>RFC 5322 3.6.2: a From names the authors; with several it needs a Sender, the one mailbox that sent it; a Sender is one
        /// mailbox.</summary>
        private static void RequireSenderOfManyAuthors(MimeMessage message, string path)
        {
            if (!message.From.Mailboxes.Any())
            {
                throw Refuse(path, "has no From header with a mailbox (RFC 5322 3.6 requires one: the author, whom readers are shown)");
            }

            // MimeKit's Sender is the first mailbox of whatever the field lists: the field itself must be exactly one.
            if (message.Headers[HeaderId.Sender] is { } sender &&
                !(InternetAddressList.TryParse(sender, out var senders) && senders.Count == 1 && senders[0] is MailboxAddress))
            {
                throw Refuse(path, "has a Sender field that is not exactly one mailbox (RFC 5322 3.6.2)");
            }

            if (message.From.Mailboxes.Count() > 1 && message.Sender is null)
            {
                throw Refuse(path, "names several authors in From and no Sender: RFC 5322 3.6.2 requires a Sender field naming the one mailbox " +
                    "that sends it, which is also its envelope sender");
            }
        }

        /// <summary>The one rule for header text (<see cref="HeaderValueGuard"/>): decoded, a subject, a display name or a file name holds no control
        /// character.</summary>
        private static void RequireShowableText(MimeMessage message, IEnumerable<MimeEntity> entities, string path)
        {
            var names = message.From.Mailboxes.Concat(message.Sender is { } sender ? new[] { sender } : Array.Empty<MailboxAddress>())
                .Concat(message.ReplyTo.Mailboxes).Concat(message.To.Mailboxes).Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
                .Select(m => m.Name);
            foreach (var header in message.Headers.Concat(entities.SelectMany(e => e.Headers)))
            {
                // Decoded: an encoded word (=?utf-8?q?=1B?=) hides a control character from the wire, not from the reader.
                Checked(path, null, () => HeaderValueGuard.RejectControlCharacters(header.Value, $"Path (its {header.Field} field)"));
            }

            foreach (var name in names)
            {
                Checked(path, null, () => HeaderValueGuard.RejectControlCharacters(name, "Path (a display name)"));
            }

            foreach (var part in entities.OfType<MimePart>())
            {
                // Both names: readers differ on which one they show when a part gives two.
                Checked(path, null, () => HeaderValueGuard.RejectUnsafeFileName(part.ContentDisposition?.FileName,
                    "Path (an attachment's file name)"));
                Checked(path, null, () => HeaderValueGuard.RejectUnsafeFileName(part.ContentType.Name, "Path (an attachment's name)"));
            }
        }

        private static void Checked(string path, Header? header, Action check)
        {
            try
            {
                check();
            }
            catch (MessageValidationException ex)
            {
                var field = header is null ? string.Empty : $"its {header.Field} field: ";
                throw new MessageValidationException($"'{path}' cannot be sent: {field}{ex.Message}", "Path", path, inner: ex);
            }
        }

        private static MessageValidationException Refuse(string path, string problem) =>
            new MessageValidationException($"'{path}' cannot be sent: it {problem}.", "Path", path);
    }
}
