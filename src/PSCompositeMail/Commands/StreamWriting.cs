using System.Management.Automation;
using PSCompositeMail.Delivery;

namespace PSCompositeMail.Commands
{
    internal static class StreamWriting
    {
        public const string InformationTag = "PSCompositeMail";

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
                        cmdlet.WriteWarning(record.Text);
                        break;
                    case StreamKind.Debug:
                        cmdlet.WriteDebug(record.Text);
                        break;
                    default:
                        cmdlet.WriteVerbose(record.Text);
                        break;
                }
            }
        }
    }
}
