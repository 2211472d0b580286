using System;
using System.Collections.Generic;
using MimeKit;

namespace PSCompositeMail.Engine.Messages
{
    /// <summary>Every entity of a message, attached messages (message/rfc822) included, and every header list they write.</summary>
    internal static class MimeTree
    {
        public static IEnumerable<MimeEntity> Entities(MimeMessage message)
        {
            return message.Body is null ? Array.Empty<MimeEntity>() : Entities(message.Body);
        }

        public static IEnumerable<HeaderList> HeaderLists(MimeMessage message)
        {
            yield return message.Headers;
            foreach (var entity in Entities(message))
            {
                yield return entity.Headers;
                if (entity is MessagePart { Message: { } attached })
                {
                    yield return attached.Headers;
                }
            }
        }

        private static IEnumerable<MimeEntity> Entities(MimeEntity entity)
        {
            yield return entity;
            IEnumerable<MimeEntity> children = entity switch
            {
                Multipart multipart => multipart,
                MessagePart { Message.Body: { } body } => new[] { body },
                _ => Array.Empty<MimeEntity>(),
            };
            foreach (var child in children)
            {
                foreach (var descendant in Entities(child))
                {
                    yield return descendant;
                }
            }
        }
    }
}
