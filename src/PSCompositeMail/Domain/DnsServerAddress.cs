using System;
using System.Globalization;
using System.Net;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Domain
{
    /// <summary>A DNS server as -DnsServer names it: host, host:port, an IPv6 address, or [IPv6]:port.</summary>
    internal sealed class DnsServerAddress
    {
        public const int DefaultPort = 53;

        private DnsServerAddress(string host, int port)
        {
            Host = host;
            Port = port;
        }

        /// <summary>An IP address, or a name the system's resolver turns into one.</summary>
        public string Host { get; }

        public int Port { get; }

        public override string ToString() => Host.Contains(":") ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

        /// <summary>Reads one -DnsServer value; anything else is an ArgumentException that says what is accepted.</summary>
        public static DnsServerAddress Parse(string? text)
        {
            var value = (text ?? string.Empty).Trim();
            string host;
            string? port = null;
            if (value.StartsWith("[", StringComparison.Ordinal) && value.IndexOf(']') is var close && close > 0)
            {
                host = value.Substring(1, close - 1);
                var rest = value.Substring(close + 1);
                if (rest.Length > 0)
                {
                    port = rest.StartsWith(":", StringComparison.Ordinal) ? rest.Substring(1) : null;
                    if (port is null)
                    {
                        throw Invalid(text);
                    }
                }
            }
            else if (value.IndexOf(':') != value.LastIndexOf(':'))
            {
                // Several colons: a bare IPv6 address, whose port (if any) must be given in brackets.
                host = value;
            }
            else
            {
                var colon = value.IndexOf(':');
                host = colon < 0 ? value : value.Substring(0, colon);
                port = colon < 0 ? null : value.Substring(colon + 1);
            }

            var isAddress = IPAddress.TryParse(host, out var address);
            var name = isAddress ? address!.ToString() : DnsName.ToAscii(host);
            if (name is null || host.Length == 0 || host.IndexOfAny(new[] { ' ', '\t' }) >= 0)
            {
                throw Invalid(text);
            }

            if (port is null)
            {
                return new DnsServerAddress(name, DefaultPort);
            }

            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > 65535)
            {
                throw new ArgumentException($"-DnsServer '{text}': the port must be a number from 1 to 65535.");
            }

            return new DnsServerAddress(name, number);
        }

        private static ArgumentException Invalid(string? text) =>
            new ArgumentException(
                $"-DnsServer '{text}' is not a DNS server: give a host name or IP address, optionally with a port (dns1.example.com, " +
                "10.0.0.53:5353, [2001:db8::53]:53).");
    }
}
