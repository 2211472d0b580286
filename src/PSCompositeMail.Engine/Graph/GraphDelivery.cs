using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Graph;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>
    /// Microsoft Graph delivery for one pipeline: each message goes as MIME to sendMail in one request, or, when it is
    /// too big for one request (or must not be kept in Sent Items), as a draft with its attachments uploaded, then sent.
    /// </summary>
    internal sealed class GraphDelivery : IDeliverySession
    {
        private readonly string _name;
        private readonly GraphSettings _settings;
        private readonly GraphClient _client;
        private readonly System.Threading.CancellationToken _cancellation;
        private readonly SecretRedactor _secrets;

        public GraphDelivery(string backendName, GraphSettings settings, DeliveryContext context)
        {
            _name = backendName;
            _settings = settings;
            _client = new GraphClient(settings, context, backendName);
            _cancellation = context.CancellationToken;
            _secrets = context.Secrets;
        }

        public static BackendTestResult Test(string backendName, GraphSettings settings, DeliveryContext context)
        {
            var clock = Stopwatch.StartNew();
            return DeliveryAttempt.Run(
                context.CancellationToken,
                () =>
                {
                    var who = settings.Tokens.Describe();
                    context.Verbose($"{backendName}: fetching a token for {settings.TokenResource} from {who}");
                    var token = new GraphClient(settings, context, backendName).FetchToken(fresh: false);
                    var roles = AppPermissions.Roles(token);
                    if (roles is null)
                    {
                        // The token was issued, so the check succeeds; but it cannot vouch for Mail.Send, and says so.
                        context.Warning($"{backendName}: {AppPermissions.Unknown(AppPermissions.GraphSend, "Microsoft Graph", settings.Tokens)}");
                    }

                    var missing = roles is null ? null : AppPermissions.Missing(roles, AppPermissions.GraphSend, "Microsoft Graph", settings.Tokens,
                        settings.Mailbox);
                    var detail = $"A token for {settings.TokenResource} was issued to {who}" + (roles is null
                        ? "; it is not a JWT, so its permissions are unknown. Nothing was sent."
                        : $" with the application permissions: {(roles.Count == 0 ? "none" : string.Join(", ", roles))}. Nothing was sent.");
                    return new BackendTestResult(backendName, MailBackendKind.Graph, missing is null, clock.Elapsed, detail, missing)
                    {
                        Authenticated = true,
                        Permissions = roles ?? Array.Empty<string>(),
                    };
                },
                (ex, elapsed) => new BackendTestResult(backendName, MailBackendKind.Graph, false, elapsed, exception: context.Secrets.Redact(ex))
                {
                    Authenticated = ex is TokenRequestException { InnerException: not TimeoutException } ? false : null,
                });
        }

        public BackendResult Deliver(IOutgoingMessage outgoing)
        {
            var message = OutgoingMessage.Of(outgoing);
            var clock = Stopwatch.StartNew();
            return DeliveryAttempt.Run(
                _cancellation,
                () =>
                {
                    var mailbox = _settings.Mailbox ?? message.Mime.From.Mailboxes.FirstOrDefault()?.Address ?? message.SenderAddress;
                    using var mime = GraphMime.Write(message.Mime);
                    var detail = GraphMime.Base64Length(mime.Length) <= GraphMime.MaxRequestBytes && _settings.SaveToSentItems
                        ? SendMail(mailbox, mime)
                        : new GraphDraftSender(_client, _settings, mailbox).Send(mime);
                    return new BackendResult(_name, MailBackendKind.Graph, DeliveryStatus.Sent, clock.Elapsed, detail: detail);
                },
                (ex, elapsed) => new BackendResult(_name, MailBackendKind.Graph, DeliveryStatus.Failed, elapsed, _secrets.Redact(ex),
                    detail: GraphErrors.RequestIdOf(ex) is { } requestId ? $"request-id {requestId}" : null));
        }

        private string SendMail(string mailbox, System.IO.Stream mime)
        {
            var response = _client.CallApi(HttpMethod.Post, mailbox, "sendMail", () => GraphContent.Mime(mime));
            if (!response.Succeeded)
            {
                throw GraphErrors.For(response, _settings, mailbox, "send mail");
            }

            return $"{(int)response.Status} {response.Status} by sendMail as {mailbox}{response.RequestIdSuffix}";
        }

        public void Dispose()
        {
        }
    }
}
