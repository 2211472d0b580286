using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// What the spool knows about an item beside its .eml: the envelope, which backends already took the message,
    /// its failure history, and the .eml's length and SHA-256. Never a secret: a resend uses the backends given at
    /// resend time.
    /// Stored as JSON so that any address round-trips (a quoted local part may hold a TAB, a quote or a backslash).
    /// DataContractJsonSerializer is part of .NET Standard 2.0: the public assembly takes no JSON package that could
    /// clash with another module's copy in PowerShell's load context. Reading is strict: a file that is not whole,
    /// valid metadata is an error, never an item with fields silently left empty (that would drop Bcc recipients).
    /// </summary>
    internal sealed class SpoolMetadata
    {
        /// <summary>The JSON format; 1 was 0.1.0's "Name: value" lines (see <see cref="LegacySpoolMetadata"/>).</summary>
        public const int CurrentFormat = 2;

        public int Format { get; set; } = CurrentFormat;

        public string MessageId { get; set; } = string.Empty;

        public string Subject { get; set; } = string.Empty;

        public string Sender { get; set; } = string.Empty;

        public IReadOnlyList<string> Recipients { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> FailedBackends { get; set; } = Array.Empty<string>();

        /// <summary>Backends (by name, composites included) that took the message on an earlier attempt: a resend skips them.</summary>
        public IReadOnlyList<string> DeliveredBackends { get; set; } = Array.Empty<string>();

        /// <summary>
        /// Where each namesake in the ledger ('smtp#2') sent, by its description (which holds no secret): a resend takes a
        /// namesake for the one that took the message only when this matches too, so namesakes given in another order are
        /// never skipped in each other's place. Empty in items written before it was recorded.
        /// </summary>
        public IReadOnlyDictionary<string, string> NamesakeDescriptions { get; set; } = new Dictionary<string, string>();

        public string Policy { get; set; } = string.Empty;

        public string Error { get; set; } = string.Empty;

        public int Attempts { get; set; }

        public DateTimeOffset FirstFailure { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        /// <summary>The .eml as it was written; null only for an item written by 0.1.0, which recorded none.</summary>
        public MessageDigest? Digest { get; set; }

        public byte[] ToBytes()
        {
            var document = new Document
            {
                Format = CurrentFormat,
                MessageId = MessageId,
                Subject = Subject,
                Sender = Sender,
                Recipients = Recipients.ToArray(),
                FailedBackends = FailedBackends.ToArray(),
                DeliveredBackends = DeliveredBackends.ToArray(),
                Policy = Policy,
                Error = Error,
                Attempts = Attempts,
                FirstFailure = FirstFailure.ToString("o", CultureInfo.InvariantCulture),
                LastFailure = LastFailure.ToString("o", CultureInfo.InvariantCulture),
                MessageLength = Digest?.Length ?? throw new InvalidOperationException("Spool metadata is written with the digest of its .eml."),
                MessageSha256 = Digest.Sha256,
                Namesakes = NamesakeDescriptions.Count == 0
                    ? null
                    : NamesakeDescriptions.Select(n => new Namesake { Name = n.Key, Description = n.Value }).ToArray(),
            };
            using var buffer = new MemoryStream();
            Serializer.WriteObject(buffer, document);
            return buffer.ToArray();
        }

        /// <exception cref="FileNotFoundException">The item has no metadata file.</exception>
        /// <exception cref="InvalidDataException">The file is not whole, valid metadata; the message says why.</exception>
        public static SpoolMetadata Read(string path)
        {
            SpoolFile.EnsureRegular(path, $"the metadata file '{path}'");
            var bytes = File.ReadAllBytes(path);
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true);
            string content;
            try
            {
                content = text.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new InvalidDataException($"the metadata file '{path}' is not UTF-8 text", ex);
            }

            return content.TrimStart('\uFEFF', ' ', '\t', '\r', '\n').StartsWith("{", StringComparison.Ordinal)
                ? FromJson(path, bytes)
                : LegacySpoolMetadata.Parse(path, content);
        }

        private static SpoolMetadata FromJson(string path, byte[] bytes)
        {
            Document document;
            try
            {
                using var stream = new MemoryStream(bytes, writable: false);
                document = (Document)Serializer.ReadObject(stream);
            }
            catch (SerializationException ex)
            {
                throw new InvalidDataException($"the metadata file '{path}' is not readable: {ex.Message}", ex);
            }

            InvalidDataException Invalid(string what) => new InvalidDataException($"the metadata file '{path}' {what}");
            if (document.Format != CurrentFormat)
            {
                throw Invalid($"has format {document.Format}, which this version of PSCompositeMail does not know (it reads {CurrentFormat})");
            }

            var recipients = document.Recipients ?? Array.Empty<string>();
            if (string.IsNullOrWhiteSpace(document.Sender) || recipients.Length == 0 || recipients.Any(string.IsNullOrWhiteSpace))
            {
                throw Invalid("has no sender or no recipients");
            }

            if (document.MessageLength < 0 || document.MessageSha256 is not { Length: 64 })
            {
                throw Invalid("has no valid length and SHA-256 for its .eml");
            }

            return new SpoolMetadata
            {
                MessageId = document.MessageId ?? string.Empty,
                Subject = document.Subject ?? string.Empty,
                Sender = document.Sender!,
                Recipients = recipients,
                FailedBackends = document.FailedBackends ?? Array.Empty<string>(),
                DeliveredBackends = document.DeliveredBackends ?? Array.Empty<string>(),
                Policy = document.Policy ?? string.Empty,
                Error = document.Error ?? string.Empty,
                Attempts = document.Attempts,
                FirstFailure = ParseTime(document.FirstFailure) ?? DateTimeOffset.MinValue,
                LastFailure = ParseTime(document.LastFailure) ?? DateTimeOffset.MinValue,
                Digest = new MessageDigest(document.MessageLength, document.MessageSha256!),
                NamesakeDescriptions = (document.Namesakes ?? Array.Empty<Namesake>())
                    .Where(n => n.Name is not null && n.Description is not null)
                    .GroupBy(n => n.Name!, StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(n => n.Key, n => n.First().Description!, StringComparer.OrdinalIgnoreCase),
            };
        }

        internal static DateTimeOffset? ParseTime(string? value) =>
            DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;

        private static readonly DataContractJsonSerializer Serializer = new DataContractJsonSerializer(typeof(Document));

        /// <summary>The file's shape; the names are the JSON keys.</summary>
        [DataContract]
        internal sealed class Document
        {
            [DataMember(Name = "format", IsRequired = true, Order = 0)]
            public int Format { get; set; }

            [DataMember(Name = "messageId", Order = 1)]
            public string? MessageId { get; set; }

            [DataMember(Name = "subject", Order = 2)]
            public string? Subject { get; set; }

            [DataMember(Name = "sender", IsRequired = true, Order = 3)]
            public string? Sender { get; set; }

            [DataMember(Name = "recipients", IsRequired = true, Order = 4)]
            public string[]? Recipients { get; set; }

            [DataMember(Name = "failedBackends", Order = 5)]
            public string[]? FailedBackends { get; set; }

            [DataMember(Name = "deliveredBackends", Order = 6)]
            public string[]? DeliveredBackends { get; set; }

            [DataMember(Name = "policy", Order = 7)]
            public string? Policy { get; set; }

            [DataMember(Name = "error", Order = 8)]
            public string? Error { get; set; }

            [DataMember(Name = "attempts", IsRequired = true, Order = 9)]
            public int Attempts { get; set; }

            [DataMember(Name = "firstFailure", Order = 10)]
            public string? FirstFailure { get; set; }

            [DataMember(Name = "lastFailure", Order = 11)]
            public string? LastFailure { get; set; }

            [DataMember(Name = "messageLength", IsRequired = true, Order = 12)]
            public long MessageLength { get; set; }

            [DataMember(Name = "messageSha256", IsRequired = true, Order = 13)]
            public string? MessageSha256 { get; set; }

            [DataMember(Name = "namesakes", EmitDefaultValue = false, Order = 14)]
            public Namesake[]? Namesakes { get; set; }
        }

        /// <summary>A namesake's ledger name and where it sent.</summary>
        [DataContract]
        internal sealed class Namesake
        {
            [DataMember(Name = "name", Order = 0)]
            public string? Name { get; set; }

            [DataMember(Name = "description", Order = 1)]
            public string? Description { get; set; }
        }
    }
}
