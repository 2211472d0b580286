using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// What the spool knows about an item beside its .eml: the envelope and its failure history. Never a secret:
    /// a resend uses the backends given at resend time. Stored as "Name: value" lines, one value per line.
    /// </summary>
    internal sealed class SpoolMetadata
    {
        public string MessageId { get; set; } = string.Empty;

        public string Subject { get; set; } = string.Empty;

        public string Sender { get; set; } = string.Empty;

        public IReadOnlyList<string> Recipients { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> FailedBackends { get; set; } = Array.Empty<string>();

        public string Policy { get; set; } = string.Empty;

        public string Error { get; set; } = string.Empty;

        public int Attempts { get; set; }

        public DateTimeOffset FirstFailure { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        public byte[] ToBytes()
        {
            var text = new StringBuilder();
            void Line(string name, string value) => text.Append(name).Append(": ").Append(OneLine(value)).Append('\n');
            Line("Message-Id", MessageId);
            Line("Subject", Subject);
            Line("Sender", Sender);
            Line("Recipients", string.Join("\t", Recipients));
            Line("Failed-Backends", string.Join("\t", FailedBackends));
            Line("Policy", Policy);
            Line("Error", Error);
            Line("Attempts", Attempts.ToString(CultureInfo.InvariantCulture));
            Line("First-Failure", FirstFailure.ToString("o", CultureInfo.InvariantCulture));
            Line("Last-Failure", LastFailure.ToString("o", CultureInfo.InvariantCulture));
            return new UTF8Encoding(false).GetBytes(text.ToString());
        }

        public static SpoolMetadata Read(string path)
        {
            var values = File.ReadAllLines(path, Encoding.UTF8)
                .Select(line => line.Split(new[] { ": " }, 2, StringSplitOptions.None))
                .Where(parts => parts.Length == 2)
                .GroupBy(parts => parts[0], StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase);
            string Get(string name) => values.TryGetValue(name, out var value) ? value : string.Empty;
            DateTimeOffset Time(string name) =>
                DateTimeOffset.TryParse(Get(name), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : DateTimeOffset.MinValue;
            return new SpoolMetadata
            {
                MessageId = Get("Message-Id"),
                Subject = Get("Subject"),
                Sender = Get("Sender"),
                Recipients = Get("Recipients").Split(new[] { '\t' }, StringSplitOptions.RemoveEmptyEntries),
                FailedBackends = Get("Failed-Backends").Split(new[] { '\t' }, StringSplitOptions.RemoveEmptyEntries),
                Policy = Get("Policy"),
                Error = Get("Error"),
                Attempts = int.TryParse(Get("Attempts"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempts) ? attempts : 0,
                FirstFailure = Time("First-Failure"),
                LastFailure = Time("Last-Failure"),
            };
        }

        private static string OneLine(string value) => value.Replace("\r", " ").Replace("\n", " ");
    }
}
