using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>What matters of a Graph answer, read while the response was open.</summary>
    internal sealed class GraphResponse
    {
        public GraphResponse(HttpResponseMessage response, string body)
        {
            Status = response.StatusCode;
            Body = body;
            RequestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;
            RetryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
                _ => null,
            };
            if (!Succeeded && Property("error") is { ValueKind: JsonValueKind.Object } error)
            {
                ErrorCode = error.TryGetProperty("code", out var code) ? code.GetString() : null;
                ErrorMessage = error.TryGetProperty("message", out var message) ? message.GetString() : null;
            }
        }

        public HttpStatusCode Status { get; }

        public bool Succeeded => (int)Status is >= 200 and < 300;

        public string Body { get; }

        public string? RequestId { get; }

        /// <summary>", request-id X" for a Detail or a message; empty when Graph sent none.</summary>
        public string RequestIdSuffix => RequestId is null ? string.Empty : $", request-id {RequestId}";

        public TimeSpan? RetryAfter { get; }

        /// <summary>Graph's error code, such as ErrorAccessDenied.</summary>
        public string? ErrorCode { get; }

        public string? ErrorMessage { get; }

        /// <summary>A top-level property of the JSON body (a draft's id, an upload URL), or null when there is none.</summary>
        public JsonElement? Property(string name)
        {
            if (Body.Length == 0 || Body[0] != '{')
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.TryGetProperty(name, out var value) ? value.Clone() : (JsonElement?)null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public string Describe() => $"{(int)Status} {ErrorCode} {ErrorMessage}".Trim()
            + (RequestId is null ? string.Empty : $" (request-id {RequestId})");
    }
}
