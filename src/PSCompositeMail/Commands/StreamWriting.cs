using System.Management.Automation;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Commands
{
    internal static class StreamWriting
    {
        public const string InformationTag = "PSCompositeMail";

        /// <summary>
        /// Text as a terminal may show it: control characters and bidi overrides escaped. Warnings, verbose lines and
        /// errors carry what this module does not control (an SMTP server's reply, an address or file name from a
        /// CSV, a script block's error), and the host prints them raw. (Console copies are escaped when formatted.)
        /// </summary>
        public static string Escaped(string text) => ControlCharacters.Escape(text, keepLineFeeds: true);

        /// <summary>An error record whose message is shown escaped (see <see cref="Escaped(string)"/>).</summary>
        public static ErrorRecord Escaped(ErrorRecord record)
        {
            var text = record.ErrorDetails?.Message ?? record.Exception.Message;
            var escaped = Escaped(text);
            if (escaped != text)
            {
                record.ErrorDetails = new ErrorDetails(escaped);
            }

            // The target's text is shown too (NormalView's CategoryInfo line, Windows PowerShell's default view).
            if (record.CategoryInfo.TargetName is { } target && Escaped(target) is var shown && shown != target)
            {
                record.CategoryInfo.TargetName = shown;
            }

            return record;
        }

        /// <summary>
        /// Writes what backends queued. Information goes out as host information (tagged PSHOST as Write-Host
        /// does), so it shows by default yet stays capturable with 6>&amp;1 and -InformationVariable.
        /// </summary>
        public static void Drain(Cmdlet cmdlet, DeliveryContext context)
        {
            while (context.Records.TryDequeue(out var record))
            {
                switch (record.Kind)
                {
                    case StreamKind.Information:
                        cmdlet.WriteInformation(new HostInformationMessage { Message = record.Text }, new[] { InformationTag, "PSHOST" });
                        break;
                    case StreamKind.Warning:
                        cmdlet.WriteWarning(Escaped(record.Text));
                        break;
                    case StreamKind.Debug:
                        cmdlet.WriteDebug(Escaped(record.Text));
                        break;
                    default:
                        cmdlet.WriteVerbose(Escaped(record.Text));
                        break;
                }
            }
        }
    }
}
