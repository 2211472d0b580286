using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// Reads the metadata PSCompositeMail 0.1.0 wrote ("Name: value" lines, lists separated by TABs), so items
    /// spooled before an upgrade are still resent. It recorded no digest: such an item is resent as it is, and
    /// written back in the current format if it fails again.
    /// </summary>
    internal static class LegacySpoolMetadata
    {
        public const int Format = 1;

        /// <exception cref="InvalidDataException">The text is not 0.1.0 metadata either.</exception>
        public static SpoolMetadata Parse(string path, string content)
        {
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in content.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
            {
                var parts = line.Split(new[] { ": " }, 2, StringSplitOptions.None);
                if (parts.Length != 2)
                {
                    throw new InvalidDataException($"the metadata file '{path}' is neither JSON nor 0.1.0's 'Name: value' lines");
                }

                values[parts[0]] = parts[1];
            }

            string Get(string name) => values.TryGetValue(name, out var value) ? value : string.Empty;
            string[] List(string name) => Get(name).Split(new[] { '\t' }, StringSplitOptions.RemoveEmptyEntries);
            var recipients = List("Recipients");
            if (Get("Sender").Length == 0 || recipients.Length == 0)
            {
                throw new InvalidDataException($"the metadata file '{path}' has no sender or no recipients");
            }

            return new SpoolMetadata
            {
                Format = Format,
                MessageId = Get("Message-Id"),
                Subject = Get("Subject"),
                Sender = Get("Sender"),
                Recipients = recipients,
                FailedBackends = List("Failed-Backends"),
                Policy = Get("Policy"),
                Error = Get("Error"),
                Attempts = int.TryParse(Get("Attempts"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempts) ? attempts : 0,
                FirstFailure = SpoolMetadata.ParseTime(Get("First-Failure")) ?? DateTimeOffset.MinValue,
                LastFailure = SpoolMetadata.ParseTime(Get("Last-Failure")) ?? DateTimeOffset.MinValue,
            };
        }
    }
}
