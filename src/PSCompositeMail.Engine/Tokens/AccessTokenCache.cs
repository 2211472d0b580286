using System;
using System.Text.RegularExpressions;
using System.Threading;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Engine.Tokens
{
    /// <summary>A token as the endpoint issued it, with when it stops working.</summary>
    internal sealed class IssuedToken
    {
        public IssuedToken(string value, DateTimeOffset expiresOn)
        {
            Value = value;
            ExpiresOn = expiresOn;
        }

        public string Value { get; }

        public DateTimeOffset ExpiresOn { get; }
    }

    /// <summary>Asks the token endpoint for a new token each time; never answers from a library's cache (see <see
    /// cref="AccessTokenCache"/>).</summary>
    internal interface ITokenIssuer
    {
        /// <summary>Where tokens are asked for, for errors: a URL or a few words, never a secret.</summary>
        string Endpoint { get; }

        /// <summary>How the endpoint last refused ("503 Service Unavailable") when the library loses it; null if unknown.</summary>
        string? LastRefusal { get; }

        IssuedToken Request(CancellationToken cancellationToken);
    }

    /// <summary>
    /// The token endpoints that left a request unanswered during one pipeline (one Send-CompositeMail call, one backend
    /// checked by Test-MailBackend), like the relay circuit breaker: the rest of a batch behind a hung endpoint fails (or
    /// is spooled) at once instead of each message waiting out -TimeoutSec, while the next call asks again.
    /// </summary>
    internal sealed class UnansweredTokenRequests
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<AccessTokenCache, AccessTokenCache.Silence> _silences =
            new System.Collections.Concurrent.ConcurrentDictionary<AccessTokenCache, AccessTokenCache.Silence>();

        private readonly TimeProvider _time;

        /// <param name="time">The clock the silences are measured on; the system's unless a test moves its own.</param>
        public UnansweredTokenRequests(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

        /// <summary>The one for this pipeline.</summary>
        public static UnansweredTokenRequests Of(PSCompositeMail.Delivery.DeliveryContext context) =>
            context.Shared("unanswered-token-requests", () => new UnansweredTokenRequests());

        /// <summary>Now, on this pipeline's clock: when a silence starts.</summary>
        public DateTimeOffset Now => _time.GetUtcNow();

        public void Remember(AccessTokenCache endpoint, AccessTokenCache.Silence silence) => _silences[endpoint] = silence;

        public void ThrowIfRecent(AccessTokenCache endpoint)
        {
            if (_silences.TryGetValue(endpoint, out var silence) && Now < silence.Until)
            {
                throw silence.Failure(null, askedAgain: true);
            }
        }
    }

    /// <summary>
    /// Our own cache in front of the token libraries: it keeps only a token that was checked to be usable, for the
    /// settings and endpoint it came from, and renews it five minutes before it expires. The libraries' caches are
    /// never read (their managed identity cache is shared by the whole process, keyed by identity alone), so a token
    /// one endpoint returned can never be served for another, and a token that cannot be sent is never kept.
    /// </summary>
    internal sealed class AccessTokenCache : IAccessTokenSource
    {
        private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

        // RFC 6750's b64token, the only characters an Authorization: Bearer value (and so an XOAUTH2 string) may hold.
        private static readonly Regex BearerToken = new Regex(@"\A[A-Za-z0-9\-._~+/]+=*\z", RegexOptions.CultureInvariant);

        private const int MaxTokenLength = 16 * 1024;

        private readonly TokenSettings _settings;
        private readonly ITokenIssuer _issuer;
        private readonly SemaphoreSlim _renewing = new SemaphoreSlim(1, 1);
        private IssuedToken? _current;
        private IssuedToken? _lastIssued;

        public AccessTokenCache(TokenSettings settings, ITokenIssuer issuer)
        {
            _settings = settings;
            _issuer = issuer;
        }

        /// <summary>The last usable token the endpoint issued, kept or not (its exp may have passed); null before the first.</summary>
        public string? LastIssued => Volatile.Read(ref _lastIssued)?.Value;

        public string GetToken(bool fresh, TimeSpan timeout, CancellationToken cancellationToken, UnansweredTokenRequests? unanswered = null)
        {
            var seen = Volatile.Read(ref _current);
            if (!fresh && IsCurrent(seen))
            {
                return seen!.Value;
            }

            unanswered?.ThrowIfRecent(this);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(timeout);
            try
            {
                _renewing.Wait(bounded.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Another delivery's request holds the endpoint and has not been answered either.
                throw new Silence(DateTimeOffset.UtcNow, timeout, this).Failure(ex);
            }

            try
            {
                // Another delivery may have renewed the token while this one waited: one request serves them all.
                var now = Volatile.Read(ref _current);
                if (!ReferenceEquals(now, seen) && IsCurrent(now))
                {
                    return now!.Value;
                }

                unanswered?.ThrowIfRecent(this);

                var issued = Request(timeout, bounded, cancellationToken, unanswered);
                if (Unusable(issued.Value) is { } why)
                {
                    Volatile.Write(ref _current, null);
                    throw new TokenRequestException(
                        $"Could not get a token for {_settings.Describe()}: the token endpoint returned an unusable token ({why}); it was neither " +
                        "used nor kept. " +
                        $"Check what answers at {_issuer.Endpoint}.");
                }

                Volatile.Write(ref _lastIssued, issued);

                // A token whose own exp claim has passed (whatever expires_in said) is used this once, as the service
                // may judge time differently, but never kept: the next request asks again.
                Volatile.Write(ref _current, AppPermissions.Expiry(issued.Value) is { } exp && exp <= DateTimeOffset.UtcNow ? null : issued);
                return issued.Value;
            }
            finally
            {
                _renewing.Release();
            }
        }

        private IssuedToken Request(TimeSpan timeout, CancellationTokenSource bounded, CancellationToken cancellationToken,
            UnansweredTokenRequests? unanswered)
        {
            using var answers = TokenEndpointAnswers.Track();
            try
            {
                return _issuer.Request(bounded.Token);
            }
            catch (Exception ex) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested && answers.Last is { } last
                && !last.StartsWith("2", StringComparison.Ordinal))
            {
                // It answered, with an error, and the library was still trying again: that is no hang, and the next message asks again.
                // (A success whose body then stalled is a hang like any other.)
                throw new TokenRequestException(
                    $"Could not get a token for {_settings.Describe()}: {_issuer.Endpoint} answered {last}, and the token library was still trying " +
                    "again when " +
                    $"-TimeoutSec ({timeout.TotalSeconds:0.#} s) ran out" +
                    (last.StartsWith("5", StringComparison.Ordinal) || last.StartsWith("429", StringComparison.Ordinal)
                        ? "; the service is unavailable for now: try again later." : "."),
                    // A timeout still: the endpoint refused nothing, so Test-MailBackend does not report the credential as refused.
                    new TimeoutException($"-TimeoutSec ran out while the token library tried again after {last}", ex));
            }
            catch (Exception ex) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var silence = new Silence(unanswered?.Now ?? DateTimeOffset.UtcNow, timeout, this);
                unanswered?.Remember(this, silence);
                throw silence.Failure(ex);
            }
            catch (Exception ex) when (TokenErrors.Explain(ex, _settings, _issuer.LastRefusal) is { } explained)
            {
                throw explained;
            }
        }

        /// <summary>A hung token endpoint is an outage of this backend, like a relay that does not answer: the message fails (or is spooled) and the
        /// rest go on.</summary>
        internal sealed class Silence
        {
            private readonly DateTimeOffset _since;
            private readonly TimeSpan _timeout;
            private readonly AccessTokenCache _owner;

            public Silence(DateTimeOffset since, TimeSpan timeout, AccessTokenCache owner)
            {
                _since = since;
                _timeout = timeout;
                _owner = owner;
            }

            public DateTimeOffset Until => _since + _timeout;

            public TokenRequestException Failure(Exception? inner, bool askedAgain = false) =>
                new TokenRequestException(
                    $"Could not get a token for {_owner._settings.Describe()}: {_owner._issuer.Endpoint} did not answer within " +
                        $"{_timeout.TotalSeconds:0.#} s (-TimeoutSec)" +
                    (askedAgain ? $" at {_since.UtcDateTime:HH:mm:ss} UTC; it is not asked again before {Until.UtcDateTime:HH:mm:ss} UTC in this " +
                        "Send-CompositeMail call." : "."),
                    new TimeoutException($"no answer within {_timeout.TotalSeconds:0.#} s", inner));
        }

        private static bool IsCurrent(IssuedToken? token) => token is not null && token.ExpiresOn - DateTimeOffset.UtcNow > RenewBefore;

        /// <summary>Why a token cannot go into an Authorization header or an XOAUTH2 string; null when it can.</summary>
        internal static string? Unusable(string? token) =>
            string.IsNullOrEmpty(token) ? "it is empty"
            : token!.Length > MaxTokenLength ? $"it is {token.Length} characters long"
            : !BearerToken.IsMatch(token) ? "it holds characters a bearer token may not hold, such as spaces, line breaks or control characters"
            : null;
    }
}
