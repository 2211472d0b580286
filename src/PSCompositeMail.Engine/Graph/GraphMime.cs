using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MimeKit;
using PSCompositeMail.Engine.Messages;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>An attachment taken out of a message that is too big for one Graph request, to go through an upload session.</summary>
    internal sealed class DetachedAttachment
    {
        public DetachedAttachment(string name, string contentType, byte[] content, bool isInline, string? contentId)
        {
            Name = name;
            ContentType = contentType;
            Content = content;
            IsInline = isInline;
            ContentId = contentId;
        }

        public string Name { get; }

        public string ContentType { get; }

        public byte[] Content { get; }

        public bool IsInline { get; }

        public string? ContentId { get; }
    }

    /// <summary>
    /// The message as Graph's MIME send takes it: base64 of the MIME text, Bcc included (Graph takes the recipients
    /// from the MIME and keeps Bcc out of what recipients get), CRLF line ends: written as for a pickup folder.
    /// </summary>
    internal static class GraphMime
    {
        /// <summary>Graph refuses request bodies over 4 MB.</summary>
        public const int MaxRequestBytes = 4 * 1024 * 1024;

        /// <summary>Exchange Online's largest message.</summary>
        public const long MaxMessageBytes = 150L * 1024 * 1024;

        public static byte[] Encode(MimeMessage message)
        {
            using var buffer = new MemoryStream();
            MimeText.WriteForPickup(message, buffer);
            return Base64(buffer.GetBuffer(), (int)buffer.Length);
        }

        public static int Base64Length(long bytes) => (int)Math.Min(int.MaxValue, (bytes + 2) / 3 * 4);

        /// <summary>
        /// A copy of <paramref name="message"/> without its attachments (they go through upload sessions), and the
        /// attachments. The original stays as it is: other backends deliver it at the same time.
        /// </summary>
        public static (MimeMessage Draft, IReadOnlyList<DetachedAttachment> Attachments) Detach(MimeMessage message)
        {
            using var buffer = new MemoryStream();
            MimeText.WriteForPickup(message, buffer);
            buffer.Position = 0;
            var copy = MimeMessage.Load(buffer);
            var detached = new List<DetachedAttachment>();
            foreach (var (parent, part) in AttachmentsOf(copy.Body).ToList())
            {
                using var content = new MemoryStream();
                part.Content?.DecodeTo(content);
                detached.Add(new DetachedAttachment(
                    part.FileName ?? part.ContentType.Name ?? "attachment",
                    part.ContentType.MimeType,
                    content.ToArray(),
                    isInline: false,
                    part.ContentId));
                parent.Remove(part);
            }

            return (copy, detached);
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

        private static byte[] Base64(byte[] bytes, int length) =>
            System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(bytes, 0, length));
    }
}
