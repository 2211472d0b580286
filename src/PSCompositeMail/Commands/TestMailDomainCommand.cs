using System;
using System.Linq;
using System.Management.Automation;
using System.Net.Mail;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Domain;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;

namespace PSCompositeMail.Commands
{
    /// <summary>Will it land? Judges a sending domain's MX, SPF, DKIM and DMARC records against the backends that send its mail; asks DNS
    /// only.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailDomain", DefaultParameterSetName = DomainSet)]
    [OutputType(typeof(MailDomainTestResult))]
    public sealed class TestMailDomainCommand : CancellableCmdlet
    {
        private const string DomainSet = "Domain";
        private const string FromSet = "From";
        private DnsServerAddress[] _servers = Array.Empty<DnsServerAddress>();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = DomainSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string Domain { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = FromSet, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string From { get; set; } = string.Empty;

        [Parameter]
        [ValidateNotNull]
        public MailBackend[] Backend { get; set; } = Array.Empty<MailBackend>();

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] DnsServer { get; set; } = Array.Empty<string>();

        /// <summary>How long one DNS server may take to answer one query (it is asked twice).</summary>
        [Parameter]
        [ValidateRange(1, 300)]
        public int TimeoutSec { get; set; } = 5;

        protected override void BeginProcessing()
        {
            try
            {
                _servers = DnsServer.Select(DnsServerAddress.Parse).ToArray();
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(StreamWriting.Escaped(new ErrorRecord(ex, "InvalidDnsServer", ErrorCategory.InvalidArgument,
                    string.Join(", ", DnsServer))));
            }
        }

        protected override void ProcessRecord()
        {
            var given = ParameterSetName == FromSet ? From : Domain;
            var domain = ParameterSetName == FromSet ? DomainOf(From) : DnsName.ToAscii(Domain);
            if (domain is null)
            {
                var message = ParameterSetName == FromSet
                    ? $"-From '{From}' is not one e-mail address: give the one address mail is sent from (ops@example.com)."
                    : $"-Domain '{Domain}' is not a domain name: give it without spaces, '@' or a scheme (example.com), " +
                        "or use -From with an address.";
                WriteError(StreamWriting.Escaped(new ErrorRecord(new ArgumentException(message),
                    ParameterSetName == FromSet ? "InvalidFromAddress" : "InvalidDomain", ErrorCategory.InvalidArgument, given)));
                return;
            }

            var request = new DomainCheckRequest(domain, _servers, TimeSpan.FromSeconds(TimeoutSec));
            DomainCheckPlan.Add(request, Backend);
            using var context = new DeliveryContext(CancellationToken, MailEngine.Instance)
            {
                VerboseEnabled = VerboseRequested,
                DebugEnabled = DebugRequested,
            };
            var result = MailEngine.Instance.CheckDomain(request, context);
            StreamWriting.Drain(this, context);
            if (result.DnsFailure is { } failure)
            {
                WriteError(StreamWriting.Escaped(new ErrorRecord(new Exception(failure), "DnsServerUnavailable", ErrorCategory.ResourceUnavailable,
                    domain)));
            }

            WriteObject(result);
        }

        /// <summary>The domain of exactly one address ("Ops &lt;ops@example.com&gt;" too), in ASCII; null when it is not one, or is
        /// several.</summary>
        private static string? DomainOf(string address)
        {
            try
            {
                if (string.IsNullOrWhiteSpace(address))
                {
                    return null;
                }

                // MailAddress takes the last of "a@x.test, b@y.test": a list would check a domain nobody meant.
                var addresses = new MailAddressCollection();
                addresses.Add(address.Trim());
                return addresses.Count == 1 ? DnsName.ToAscii(addresses[0].Host) : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
