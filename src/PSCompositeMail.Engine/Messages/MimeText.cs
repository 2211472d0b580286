using System.IO;
using MimeKit;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>How a message is written wherever it leaves the module: CRLF line ends, no Bcc header except in a pickup file.</summary>
    internal static class MimeText
    {
        public static readonly FormatOptions Wire = CreateWireOptions();

        /// <summary>For a message with raw UTF-8 headers to a server offering SMTPUTF8: MailKit then declares it in MAIL FROM.</summary>
        public static readonly FormatOptions InternationalWire = CreateInternationalWireOptions();

        private static FormatOptions CreateInternationalWireOptions()
        {
            var options = CreateWireOptions();
            options.International = true;
            return options;
        }

        private static FormatOptions CreateWireOptions()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            options.HiddenHeaders.Add(HeaderId.Bcc);
            options.HiddenHeaders.Add(HeaderId.ResentBcc);
            return options;
        }

        /// <summary>For files sent later (an outbox, a pickup folder): CRLF line ends, and the Bcc header kept, as pickup folders keep it.</summary>
        public static readonly FormatOptions Pickup = CreatePickupOptions();

        private static FormatOptions CreatePickupOptions()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            return options;
        }

        public static void WriteTo(MimeMessage message, Stream stream) => message.WriteTo(Wire, stream);

        public static void WriteForPickup(MimeMessage message, Stream stream) => message.WriteTo(Pickup, stream);
    }
}
