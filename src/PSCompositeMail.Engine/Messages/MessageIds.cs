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
    /// crypto random generator per id, reads it once per id and converts the domain again each time. Here one
    /// generator serves every id, read for 64 ids at a time, and each domain is converted once.
    /// </summary>
    internal static class MessageIds
    {
        private const string Base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

        /// <summary>A batch sends from a few domains; past this many the conversion is not kept, so memory stays bounded.</summary>
        private const int MostDomainsKept = 256;

        /// <summary>How many ids' random parts are read from the generator at once: each read is a call into the system.</summary>
        private const int IdsPerRead = 64;

        private static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();
        private static readonly byte[] RandomBytes = new byte[IdsPerRead * sizeof(ulong)];
        private static int _randomUsed = RandomBytes.Length;
        private static readonly ConcurrentDictionary<string, string> EncodedDomains =
            new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        public static string Generate(string domain)
        {
            if (string.IsNullOrEmpty(domain))
            {
                throw new ArgumentException("The domain is invalid.", nameof(domain));
            }

            var id = new StringBuilder(64);
            AppendBase36(id, (ulong)DateTime.UtcNow.Ticks);
            id.Append('.');
            AppendBase36(id, NextRandom());
            return id.Append('@').Append(Encoded(domain)).ToString();
        }

        /// <summary>64 bits from the crypto generator, as MimeKit reads them (big-endian); each used once.</summary>
        private static ulong NextRandom()
        {
            lock (RandomBytes)
            {
                if (_randomUsed == RandomBytes.Length)
                {
                    Random.GetBytes(RandomBytes);
                    _randomUsed = 0;
                }

                var value = 0UL;
                for (var i = 0; i < sizeof(ulong); i++)
                {
                    value = (value << 8) | RandomBytes[_randomUsed + i];
                }

                _randomUsed += sizeof(ulong);
                return value;
            }
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
