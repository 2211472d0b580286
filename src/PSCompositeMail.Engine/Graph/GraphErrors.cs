using System.Net;
using PSCompositeMail.Graph;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>Graph's refusals as errors that say what to do. Graph's own messages hold no secret; nothing here adds one.</summary>
    internal static class GraphErrors
    {
        // The request-id travels with whatever exception a refusal becomes (403 and 401 are not GraphRequestExceptions), for the result's Detail.
        private const string RequestIdKey = "PSCompositeMail.Graph.RequestId";

        /// <summary>Graph's request-id of the refusal behind <paramref name="exception"/>, or null when Graph never answered.</summary>
        public static string? RequestIdOf(System.Exception exception) => exception.Data[RequestIdKey] as string;

        public static System.Exception For(GraphResponse response, GraphSettings settings, string mailbox, string action) =>
            WithRequestId(Explain(response, settings, mailbox, action), response);

        private static System.Exception WithRequestId(System.Exception exception, GraphResponse response)
        {
            exception.Data[RequestIdKey] = response.RequestId;
            return exception;
        }

        private static System.Exception Explain(GraphResponse response, GraphSettings settings, string mailbox, string action)
        {
            var said = response.Describe();
            var app = settings.Tokens.Describe();
            return response.Status switch
            {
                HttpStatusCode.Forbidden => new MailPermissionException(
                    $"Graph refused to let {app} {action} as {mailbox}: {said}. The app needs the Microsoft Graph application permission Mail.Send " +
                    "with admin consent (Entra admin center > App registrations > API permissions). If an Exchange application access policy " +
                    "(New-ApplicationAccessPolicy) or RBAC for Applications (New-ManagementRoleAssignment -App) limits the app to some mailboxes, " +
                    $"{mailbox} must be in its scope."),
                HttpStatusCode.Unauthorized => new TokenRequestException(
                    $"Graph refused the token of {app} even after fetching a fresh one: {said}. Check -Cloud (or -GraphEndpoint and " +
                        $"-AuthorityHost) and that the app is in the tenant that owns {mailbox}."),
                HttpStatusCode.NotFound => new GraphRequestException(
                    $"Graph does not know the mailbox {mailbox}: {said}. Check -Mailbox (or the From address) and that the mailbox has an Exchange " +
                        "Online license.",
                    (int)response.Status, response.ErrorCode, response.RequestId),
                (HttpStatusCode)413 => new GraphRequestException(
                    $"Graph found the message too large: {said}. Exchange Online takes up to 150 MB, and the mailbox's own MaxSendSize may be lower.",
                    (int)response.Status, response.ErrorCode, response.RequestId),
                _ => new GraphRequestException($"Graph could not {action} as {mailbox}: {said}.", (int)response.Status, response.ErrorCode,
                    response.RequestId),
            };
        }

        /// <summary>The upload URL answered 404: the session expired or Graph dropped it; the mailbox is not in question.</summary>
        public static System.Exception UploadSessionGone(GraphResponse response, string attachment) =>
            WithRequestId(new GraphRequestException(
                $"The upload session for {attachment} is gone ({response.Describe()}): it expired or Graph dropped it before the upload ended. " +
                "The draft was deleted and nothing was sent; send the message again (a spool does).",
                (int)response.Status, response.ErrorCode, response.RequestId), response);

        /// <summary>Every chunk went up, yet Graph did not say the attachment was stored (201 Created): it still expects bytes.</summary>
        public static System.Exception UploadIncomplete(GraphResponse response, string attachment, long size) =>
            WithRequestId(new GraphRequestException(
                $"The upload of {attachment} did not complete: after all {size} bytes Graph answered {(int)response.Status} and still expects " +
                $"{(response.Property("nextExpectedRanges") is { } ranges ? ranges.GetRawText() : "more")} instead of 201 Created. " +
                "The draft was deleted rather than sent without the file; send the message again (a spool does).",
                (int)response.Status, response.ErrorCode, response.RequestId), response);

        /// <summary>Graph asks for a longer wait than one request may spend waiting: the message fails now rather than block the pipeline.</summary>
        public static System.Exception Throttled(GraphResponse response, System.TimeSpan delay, System.TimeSpan waited, System.TimeSpan limit) =>
            WithRequestId(new GraphRequestException(
                $"Graph is throttling or unavailable ({response.Describe()}) and asks to wait {delay.TotalSeconds:0} s more, after " +
                $"{waited.TotalSeconds:0} s of waiting; " +
                $"a request waits at most {limit.TotalSeconds:0} s in total, so this message fails now and the rest go on. Send it again later (a " +
                "spool does).",
                (int)response.Status, response.ErrorCode, response.RequestId), response);
    }
}
