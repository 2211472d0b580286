using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Http;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Graph;

namespace PSCompositeMail.Engine.Graph
{
    /// <summary>
    /// Microsoft Graph requests for one backend: a bearer token on API calls (none on pre-authenticated upload URLs),
    /// one fresh token and one retry after a 401, 429/503/504 tried again after Retry-After, and at most four requests
    /// at once per mailbox, Graph's own limit, however many deliveries run in parallel.
    /// </summary>
    internal sealed class GraphClient
    {
        private const int ConcurrentRequestsPerMailbox = 4;

        // Graph asks for at least this wait; a Retry-After below it (0, a date already past) is taken as none at all.
        private static readonly TimeSpan MinimumRetryAfter = TimeSpan.FromSeconds(1);

        // One for the process: HttpClient pools connections and is meant to be shared. Each request gets its own timeout.
        // No redirect is followed: it would carry the message, and on the same host the token, wherever the answer points.
        private static readonly HttpClient Http = new HttpClient(RedirectRefusal.Over(new HttpClientHandler(), redirected =>
            new GraphRequestException(
            $"Graph: {redirected}. Graph requests never follow a redirect, so neither the message nor the token was sent there. " +
            "Check -GraphEndpoint: it must name Graph itself, such as https://graph.microsoft.com.", 0, null, null)))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        private static readonly ConcurrentDictionary<string, SemaphoreSlim> MailboxSlots = new ConcurrentDictionary<string,
            SemaphoreSlim>(StringComparer.OrdinalIgnoreCase);

        private readonly GraphSettings _settings;
        private readonly IAccessTokenSource _tokens;
        private readonly DeliveryContext _context;
        private readonly string _backendName;

        public GraphClient(GraphSettings settings, DeliveryContext context, string backendName)
        {
            _settings = settings;
            _tokens = AccessTokens.For(settings.Tokens, settings.TokenResource);
            _context = context;
            _backendName = backendName;
            context.Secrets.AddTokenCredentials(settings.Tokens);
        }

        public CancellationToken Cancellation => _context.CancellationToken;

        public string FetchToken(bool fresh)
        {
            var token = _tokens.GetToken(fresh, _settings.Timeout, _context.CancellationToken, UnansweredTokenRequests.Of(_context));
            _context.Secrets.AddBearerToken(null, token);
            return token;
        }

        /// <summary>A Graph API call under /v1.0/users/{mailbox}/.</summary>
        public GraphResponse CallApi(HttpMethod method, string mailbox, string path, Func<HttpContent?> content) =>
            Execute(method, new Uri(_settings.Endpoint, $"v1.0/users/{Uri.EscapeDataString(mailbox)}/{path}"), mailbox, content, authenticated: true);

        /// <summary>A request to a URL that carries its own authorization (an upload session): sending a bearer token there is refused, and would
        /// leak it.</summary>
        public GraphResponse CallPreauthenticated(HttpMethod method, Uri url, string mailbox, Func<HttpContent?> content) =>
            Execute(method, url, mailbox, content, authenticated: false);

        private GraphResponse Execute(HttpMethod method, Uri url, string mailbox, Func<HttpContent?> content, bool authenticated)
        {
            var cancellation = _context.CancellationToken;
            var refreshed = false;
            var waited = TimeSpan.Zero;
            for (var attempt = 1; ; attempt++)
            {
                var response = SendOnce(method, url, mailbox, content(), authenticated ? FetchToken(refreshed) : null);
                if (response.Status == HttpStatusCode.Unauthorized && authenticated && !refreshed)
                {
                    // The token expired early or was revoked: the one retry a refusal gets, with a fresh token.
                    _context.Verbose($"{_backendName}: Graph refused the token ({response.ErrorCode}); trying once with a fresh one");
                    refreshed = true;
                    continue;
                }

                // A Retry-After that asks for no wait (0, a date already past) counts as none: honoured, it would have Graph
                // asked again at once without end, as only waiting counts against the bound. It gets -RetryCount tries, with backoff.
                var retryAfter = response.RetryAfter >= MinimumRetryAfter ? response.RetryAfter : null;
                if (!IsThrottled(response.Status) || (retryAfter is null && attempt > _settings.RetryCount))
                {
                    return response;
                }

                // Graph says how long to wait; we wait that long, but only so long in total: an hour's Retry-After would
                // block the pipeline an hour per message. Beyond the bound the message fails now (a spool keeps it).
                var delay = retryAfter ?? TimeSpan.FromSeconds(Math.Pow(2, attempt));
                if (waited + delay > _settings.ThrottleWaitLimit)
                {
                    throw GraphErrors.Throttled(response, delay, waited, _settings.ThrottleWaitLimit);
                }

                waited += delay;
                _context.Verbose($"{_backendName}: Graph answered {(int)response.Status} {response.ErrorCode}; trying again in " +
                    $"{delay.TotalSeconds:0.#} s{(retryAfter is null ? string.Empty : " as Retry-After asks")}{response.RequestIdSuffix}");
                if (cancellation.WaitHandle.WaitOne(delay))
                {
                    cancellation.ThrowIfCancellationRequested();
                }
            }
        }

        /// <summary>Throttled or briefly unavailable: Graph did not take the request, so sending it again cannot duplicate a message.</summary>
        private static bool IsThrottled(HttpStatusCode status) => (int)status is 429 or 503 or 504;

        private GraphResponse SendOnce(HttpMethod method, Uri url, string mailbox, HttpContent? content, string? token)
        {
            var slots = MailboxSlots.GetOrAdd(_settings.Endpoint.Host + "|" + mailbox, _ => new SemaphoreSlim(ConcurrentRequestsPerMailbox));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_context.CancellationToken);
            timeout.CancelAfter(_settings.Timeout);
            slots.Wait(_context.CancellationToken);
            try
            {
                using var request = new HttpRequestMessage(method, url) { Content = content };
                if (token is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                }

                using var response = Http.SendAsync(request, timeout.Token).GetAwaiter().GetResult();
                var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                return new GraphResponse(response, body);
            }
            catch (OperationCanceledException ex) when (!_context.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{url.Host} did not answer within {_settings.Timeout.TotalSeconds:0} s.", ex);
            }
            catch (HttpRequestException ex) when (Untrusted(ex) is { } tls)
            {
                throw new System.Security.Authentication.AuthenticationException(
                    $"The TLS certificate of {url.Host} is not trusted ({tls.Message}). Certificates are always validated against the system's " +
                        "trusted roots.", ex);
            }
            finally
            {
                slots.Release();
            }
        }

        private static Exception? Untrusted(Exception exception)
        {
            for (var current = exception.InnerException; current is not null; current = current.InnerException)
            {
                if (current is System.Security.Authentication.AuthenticationException)
                {
                    return current;
                }
            }

            return null;
        }
    }
}
