using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>The bodies Graph takes: base64 MIME as text/plain, JSON, or raw bytes for an upload.</summary>
    internal static class GraphContent
    {
        /// <summary>The MIME text in <paramref name="mime"/>, base64-encoded as it is sent; the stream stays open for another attempt.</summary>
        public static HttpContent Mime(Stream mime) => new Base64Content(mime);

        public static HttpContent Json(object value) =>
            new StringContent(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

        public static HttpContent Empty() => new ByteArrayContent(Array.Empty<byte>());

        /// <summary>Reads <paramref name="source"/> until <paramref name="block"/> is full or the stream ends; returns how many bytes it
        /// holds.</summary>
        public static int Fill(Stream source, byte[] block)
        {
            var filled = 0;
            int read;
            while (filled < block.Length && (read = source.Read(block, filled, block.Length - filled)) > 0)
            {
                filled += read;
            }

            return filled;
        }

        /// <summary>Base64 of a stream, encoded block by block on the way out, never as one string of the whole message.</summary>
        private sealed class Base64Content : HttpContent
        {
            // A multiple of 3: every block but the last encodes without padding.
            private const int BlockBytes = 3 * 16 * 1024;

            private readonly Stream _source;

            public Base64Content(Stream source)
            {
                _source = source;
                Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            }

            protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            {
                _source.Position = 0;
                var block = new byte[BlockBytes];
                int filled;
                while ((filled = Fill(_source, block)) > 0)
                {
                    var encoded = Encoding.ASCII.GetBytes(Convert.ToBase64String(block, 0, filled));
                    await stream.WriteAsync(encoded, 0, encoded.Length).ConfigureAwait(false);
                }
            }

            protected override bool TryComputeLength(out long length)
            {
                length = GraphMime.Base64Length(_source.Length);
                return true;
            }

        }
    }
}
