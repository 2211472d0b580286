using System;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>
    /// New Message-Ids in MimeKit's form (MimeUtils.GenerateMessageId: the time in base 36, a dot, 64 random bits in
    /// base 36, '@', the domain as IDNA), made for every message of a batch: MimeKit's netstandard2.0 build creates a
    /// crypto random generator per id and converts the domain again each time, which cost as much as the rest of
    /// the message's headers. Here one generator serves every id and each domain is converted once.
    /// </summary>
    internal static class MessageIds
    {
        private const string Base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

        /// <summary>A batch sends from a few domains; past this many the conversion is not kept, so memory stays bounded.</summary>
        private const int MostDomainsKept = 256;

        private static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();
        private static readonly ConcurrentDictionary<string, string> EncodedDomains =
            new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        public static string Generate(string domain)
        {
            if (string.IsNullOrEmpty(domain))
            {
                throw new ArgumentException("The domain is invalid.", nameof(domain));
            }

            var random = new byte[8];
            Random.GetBytes(random);
            var randomValue = 0UL;
            foreach (var b in random)
            {
                randomValue = (randomValue << 8) | b;
            }

            var id = new StringBuilder(64);
            AppendBase36(id, (ulong)DateTime.UtcNow.Ticks);
            id.Append('.');
            AppendBase36(id, randomValue);
            return id.Append('@').Append(Encoded(domain)).ToString();
        }

        /// <summary>Least significant digit first, as MimeKit writes it.</summary>
        private static void AppendBase36(StringBuilder id, ulong value)
        {
            do
            {
                id.Append(Base36[(int)(value % 36)]);
                value /= 36;
            }
            while (value != 0);
        }

        private static string Encoded(string domain)
        {
            if (EncodedDomains.TryGetValue(domain, out var encoded))
            {
                return encoded;
            }

            encoded = MailboxAddress.IdnMapping.Encode(domain);
            if (EncodedDomains.Count < MostDomainsKept)
            {
                EncodedDomains.TryAdd(domain, encoded);
            }

            return encoded;
        }
    }
}
