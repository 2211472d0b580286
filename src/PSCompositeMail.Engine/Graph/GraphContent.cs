using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>The bodies Graph takes: base64 MIME as text/plain, JSON, or raw bytes for an upload.</summary>
    internal static class GraphContent
    {
        public static HttpContent Mime(byte[] base64)
        {
            var content = new ByteArrayContent(base64);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            return content;
        }

        public static HttpContent Json(object value) =>
            new StringContent(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

        public static HttpContent Empty() => new ByteArrayContent(System.Array.Empty<byte>());
    }
}
