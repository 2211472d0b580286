using System.IO;
using MimeKit;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>How a message is written wherever it leaves the module: CRLF line ends, no Bcc header.</summary>
    internal static class MimeText
    {
        public static readonly FormatOptions Wire = CreateWireOptions();

        private static FormatOptions CreateWireOptions()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            options.HiddenHeaders.Add(HeaderId.Bcc);
            options.HiddenHeaders.Add(HeaderId.ResentBcc);
            return options;
        }

        public static void WriteTo(MimeMessage message, Stream stream) => message.WriteTo(Wire, stream);
    }
}
