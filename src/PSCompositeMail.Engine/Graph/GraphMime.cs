using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MimeKit;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>An attachment taken out of a message that is too big for one Graph request, to go through an upload session.</summary>
    internal sealed class DetachedAttachment : IDisposable
    {
        public DetachedAttachment(string name, string contentType, Stream content, bool isInline, string? contentId)
        {
            Name = name;
            ContentType = contentType;
            Content = content;
            IsInline = isInline;
            ContentId = contentId;
        }

        public string Name { get; }

        public string ContentType { get; }

        /// <summary>The decoded bytes, in a temporary file when large.</summary>
        public Stream Content { get; }

        public long Length => Content.Length;

        public bool IsInline { get; }

        public string? ContentId { get; }

        public void Dispose() => Content.Dispose();
    }

    /// <summary>
    /// The message as Graph's MIME send takes it: the MIME text, Bcc included (Graph takes the recipients from the MIME
    /// and keeps Bcc out of what recipients get), CRLF line ends: written as for a pickup folder, to a buffer that
    /// moves to a private temporary file when large, and sent base64-encoded as it goes (<see cref="GraphContent.Mime"/>).
    /// </summary>
    internal static class GraphMime
    {
        /// <summary>Graph refuses request bodies over 4 MB.</summary>
        public const int MaxRequestBytes = 4 * 1024 * 1024;

        /// <summary>Exchange Online's largest message.</summary>
        public const long MaxMessageBytes = 150L * 1024 * 1024;

        public static ScratchStream Write(MimeMessage message)
        {
            var mime = new ScratchStream();
            try
            {
                MimeText.WriteForPickup(message, mime);
                mime.Position = 0;
                return mime;
            }
            catch
            {
                mime.Dispose();
                throw;
            }
        }

        public static long Base64Length(long bytes) => (bytes + 2) / 3 * 4;

        /// <summary>
        /// A copy of the message written to <paramref name="mime"/>, without its attachments (they go through upload
        /// sessions), and the attachments. The copy reads its parts from <paramref name="mime"/>, which must outlive it;
        /// the message itself stays as it is: other backends deliver it at the same time.
        /// </summary>
        public static (MimeMessage Draft, IReadOnlyList<DetachedAttachment> Attachments) Detach(Stream mime)
        {
            mime.Position = 0;
            var copy = MimeMessage.Load(mime, persistent: true);
            var detached = new List<DetachedAttachment>();
            try
            {
                foreach (var (parent, part) in AttachmentsOf(copy.Body).ToList())
                {
                    var content = new ScratchStream();
                    detached.Add(new DetachedAttachment(
                        part.FileName ?? part.ContentType.Name ?? "attachment",
                        part.ContentType.MimeType,
                        content,
                        isInline: false,
                        part.ContentId));
                    part.Content?.DecodeTo(content);
                    content.Position = 0;
                    parent.Remove(part);
                }

                return (copy, detached);
            }
            catch
            {
                copy.Dispose();
                detached.ForEach(a => a.Dispose());
                throw;
            }
        }

        private static IEnumerable<(Multipart Parent, MimePart Part)> AttachmentsOf(MimeEntity? entity)
        {
            if (entity is not Multipart multipart)
            {
                yield break;
            }

            foreach (var child in multipart)
            {
                if (child is MimePart { IsAttachment: true } part)
                {
                    yield return (multipart, part);
                }

                foreach (var nested in AttachmentsOf(child))
                {
                    yield return nested;
                }
            }
        }
    }
}
