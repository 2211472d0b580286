using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using PSCompositeMail.Delivery;
using PSCompositeMail.Graph;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>
    /// Sends a message too big for one Graph request (or one that must not stay in Sent Items): the message without its
    /// attachments becomes a draft (MIME), each attachment goes up through an upload session in chunks of at most 4 MB
    /// to the pre-authenticated upload URL (no Authorization header), then the draft is sent. A draft left by a failure is deleted.
    /// </summary>
    internal sealed class GraphDraftSender
    {
        // Graph asks for chunks in multiples of 320 KiB; twelve of them stay under its 4 MB limit.
        internal const int ChunkBytes = 12 * 320 * 1024;

        // PidTagDeleteAfterSubmit: Exchange deletes the message once sent instead of keeping it in Sent Items.
        private const string DeleteAfterSubmit = "Boolean 0x0E01";

        private readonly GraphClient _client;
        private readonly GraphSettings _settings;
        private readonly string _mailbox;

        public GraphDraftSender(GraphClient client, GraphSettings settings, string mailbox)
        {
            _client = client;
            _settings = settings;
            _mailbox = mailbox;
        }

        /// <param name="mime">The whole message as <see cref="GraphMime.Write"/> wrote it.</param>
        public string Send(Stream mime)
        {
            var (draft, attachments) = GraphMime.Detach(mime);
            try
            {
                using (draft)
                {
                    using var draftMime = GraphMime.Write(draft);
                    var encodedLength = GraphMime.Base64Length(draftMime.Length);
                    if (encodedLength > GraphMime.MaxRequestBytes)
                    {
                        throw new GraphRequestException(
                            $"The message without its attachments is still {encodedLength / 1048576.0:0.0} MB once encoded, over Graph's 4 MB for " +
                                "one request: make the body or inline images smaller.",
                            413, null, null);
                    }

                    var total = encodedLength + attachments.Sum(a => a.Length);
                    if (total > GraphMime.MaxMessageBytes)
                    {
                        throw new GraphRequestException($"The message is {total / 1048576.0:0} MB; Exchange Online takes at most 150 MB.", 413, null,
                            null);
                    }

                    var id = Create(draftMime);
                    try
                    {
                        if (!_settings.SaveToSentItems)
                        {
                            Require(_client.CallApi(new HttpMethod("PATCH"), _mailbox, $"messages/{id}",
                                () => GraphContent.Json(new { singleValueExtendedProperties =
                                    new[] { new { id = DeleteAfterSubmit, value = "true" } } })), "prepare the draft");
                        }

                        foreach (var attachment in attachments)
                        {
                            Upload(id, attachment);
                        }

                        var sent = Require(_client.CallApi(HttpMethod.Post, _mailbox, $"messages/{id}/send", GraphContent.Empty), "send the draft");
                        return $"{(int)sent.Status} {sent.Status} by draft {id} with {attachments.Count} uploaded attachment(s) as " +
                            $"{_mailbox}{sent.RequestIdSuffix}";
                    }
                    catch (Exception ex) when (DeliveryAttempt.IsFailure(ex, _client.Cancellation))
                    {
                        Discard(id);
                        throw;
                    }
                }
            }
            finally
            {
                foreach (var attachment in attachments)
                {
                    attachment.Dispose();
                }
            }
        }

        private string Create(Stream mime)
        {
            var created = Require(_client.CallApi(HttpMethod.Post, _mailbox, "messages", () => GraphContent.Mime(mime)), "create a draft");
            return created.Property("id")?.GetString()
                ?? throw new GraphRequestException("Graph created a draft but did not say its id.", (int)created.Status, null, created.RequestId);
        }

        private void Upload(string id, DetachedAttachment attachment)
        {
            if (attachment.Content.Length == 0)
            {
                // An upload session has no byte to upload for an empty file and Graph refuses one of size 0 (or, where it
                // opens one, never attaches the file): an empty file is posted whole, as a fileAttachment with no content.
                Require(_client.CallApi(HttpMethod.Post, _mailbox, $"messages/{id}/attachments", () =>
                    GraphContent.Json(new Dictionary<string, object?>
                {
                    ["@odata.type"] = "#microsoft.graph.fileAttachment",
                    ["name"] = attachment.Name,
                    ["contentType"] = attachment.ContentType,
                    ["contentBytes"] = string.Empty,
                    ["isInline"] = attachment.IsInline,
                    ["contentId"] = attachment.ContentId,
                })), $"attach the empty file {attachment.Name}");
                return;
            }

            var session = Require(_client.CallApi(HttpMethod.Post, _mailbox, $"messages/{id}/attachments/createUploadSession", () =>
                GraphContent.Json(new
            {
                AttachmentItem = new
                {
                    attachmentType = "file",
                    name = attachment.Name,
                    size = attachment.Length,
                    contentType = attachment.ContentType,
                    isInline = attachment.IsInline,
                    contentId = attachment.ContentId,
                },
            })), $"open an upload session for {attachment.Name}");
            var url = session.Property("uploadUrl")?.GetString()
                ?? throw new GraphRequestException("Graph opened an upload session but gave no upload URL.", (int)session.Status, null,
                    session.RequestId);
            // One chunk in memory at a time, read again from the file for each; the buffer serves every attempt at a chunk.
            var chunk = new byte[ChunkBytes];
            var total = attachment.Length;
            attachment.Content.Position = 0;
            GraphResponse? last = null;
            for (long start = 0; start < total; start += ChunkBytes)
            {
                var length = GraphContent.Fill(attachment.Content, chunk);
                var first = start;
                last = _client.CallPreauthenticated(HttpMethod.Put, new Uri(url), _mailbox, () =>
                {
                    var content = new ByteArrayContent(chunk, 0, length);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    content.Headers.ContentRange = new ContentRangeHeaderValue(first, first + length - 1, total);
                    return content;
                });
                if (!last.Succeeded)
                {
                    throw last.Status == HttpStatusCode.NotFound
                        ? GraphErrors.UploadSessionGone(last, attachment.Name)
                        : GraphErrors.For(last, _settings, _mailbox, $"upload {attachment.Name}");
                }
            }

            // Graph answers the last chunk 201 Created once the attachment is stored; an answer that still expects bytes
            // means the file is not on the draft, and sending the draft would deliver the message without it.
            if (last!.Status != HttpStatusCode.Created && !(last.Property("nextExpectedRanges") is { ValueKind: JsonValueKind.Array } ranges
                && ranges.GetArrayLength() == 0))
            {
                throw GraphErrors.UploadIncomplete(last, attachment.Name, total);
            }
        }

        private void Discard(string id)
        {
            try
            {
                _client.CallApi(HttpMethod.Delete, _mailbox, $"messages/{id}", () => null);
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or System.Security.Authentication.AuthenticationException
                or PSCompositeMail.Tokens.TokenRequestException or GraphRequestException)
            {
                // The send already failed and says why; a draft that could not be deleted only stays in Drafts.
            }
        }

        private GraphResponse Require(GraphResponse response, string action) =>
            response.Succeeded ? response : throw GraphErrors.For(response, _settings, _mailbox, action);
    }
}
