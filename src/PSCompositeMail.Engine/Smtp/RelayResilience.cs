using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailKit;
using MailKit.Net.Smtp;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using PSCompositeMail.Delivery;
using PSCompositeMail.Smtp;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// Retries and the circuit breaker of one SMTP backend for one pipeline, shared by all its connections
    /// (-ThrottleLimit): each message gets the backend's retries for transient failures. The circuit opens on trouble
    /// with the relay itself: a message that still fails because the relay cannot be connected to, does not greet,
    /// negotiate TLS or log in, or does not answer in time; or <see cref="MessagesFailingInARow"/> different messages in
    /// a row whose connection broke in the middle of their transaction. One message whose content makes the relay
    /// drop the connection is that message's failure, not the relay's: the messages after it are still tried. Once
    /// open, later messages skip the relay at once (so a composite fails over, or the spool keeps them) until, after
    /// the cool-down, one message probes it: the circuit closes when that probe gets through and opens again when it does not.
    /// </summary>
    internal sealed class RelayResilience
    {
        /// <summary>How many different messages in a row must lose their connection mid-transaction before the relay counts as down.</summary>
        internal const int MessagesFailingInARow = 3;

        private static readonly ResiliencePropertyKey<RelayAttempt> AttemptKey =
            new ResiliencePropertyKey<RelayAttempt>("PSCompositeMail.RelayAttempt");
        private readonly SmtpSettings _settings;
        private readonly TimeProvider _time;
        private readonly CircuitBreakerStateProvider _circuit = new CircuitBreakerStateProvider();
        private readonly ResiliencePipeline _pipeline;
        private readonly object _gate = new object();
        private DateTimeOffset _openedAt;
        private string _openedBecause = string.Empty;
        private int _messagesFailedInARow;

        /// <param name="time">The clock of the retry delays and the cool-down: the system's, or a test's that it moves itself.</param>
        public RelayResilience(string backendName, SmtpSettings settings, DeliveryContext context, TimeProvider? time = null)
        {
            _settings = settings;
            _time = time ?? TimeProvider.System;
            var where = $"{settings.Server}:{settings.Port}";
            var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
            if (settings.RetryCount > 0)
            {
                builder.AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = settings.RetryCount,
                    Delay = settings.RetryInterval,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } ex && ex is not BrokenCircuitException
                        && IsTransient(ex)),
                    OnRetry = args =>
                    {
                        context.Verbose($"{backendName}: attempt {args.AttemptNumber + 1} failed ({args.Outcome.Exception?.Message}); retrying in " +
                            $"{args.RetryDelay.TotalSeconds:0.0} s");
                        return default;
                    },
                });
            }

            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Any failure that counts opens the circuit; Polly judges from two outcomes at least, so in a pipeline
                // whose first message gets no retry (-RetryCount 0) the second failed message opens it.
                FailureRatio = 0,
                MinimumThroughput = 2,
                // Every outcome of the pipeline counts, however slowly a hung relay lets them come (Polly's longest window).
                SamplingDuration = TimeSpan.FromDays(1),
                BreakDuration = settings.CircuitBreak,
                StateProvider = _circuit,
                ShouldHandle = args => new ValueTask<bool>(OpensCircuit(args.Outcome.Exception,
                    args.Context.Properties.GetValue(AttemptKey, new RelayAttempt()))),
                OnOpened = args =>
                {
                    var because = Describe(args.Outcome.Exception);
                    lock (_gate)
                    {
                        _openedAt = _time.GetLocalNow();
                        _openedBecause = because;
                    }

                    context.Warning($"{backendName}: {where} is unavailable ({because}); the rest of this pipeline skips it for " +
                        $"{args.BreakDuration.TotalSeconds:0} s, then one message tries it again.");
                    return default;
                },
                OnClosed = args =>
                {
                    context.Verbose($"{backendName}: {where} answers again; the circuit is closed.");
                    return default;
                },
            });
            _pipeline = builder.Build();
        }

        /// <summary>Runs one message's delivery: <paramref name="deliver"/> once per attempt, as the retries and the circuit allow.</summary>
        /// <exception cref="BrokenCircuitException">The circuit is open: the relay was not tried.</exception>
        public T Execute<T>(RelayAttempt attempt, Func<RelayAttempt, T> deliver, CancellationToken cancellationToken)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(AttemptKey, attempt);
            try
            {
                return _pipeline.Execute(
                    static (_, state) =>
                    {
                        state.Attempt.Begin();
                        try
                        {
                            return state.Deliver(state.Attempt);
                        }
                        catch (Exception ex)
                        {
                            state.Attempt.LastFailure = ex;
                            throw;
                        }
                    },
                    context,
                    (Attempt: attempt, Deliver: deliver));
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        /// <summary>Why a message skipped the relay, for its result and error.</summary>
        public string DescribeOpenCircuit()
        {
            lock (_gate)
            {
                return $"{_settings.Server}:{_settings.Port} was not tried: circuit open since {_openedAt:HH:mm:ss}: {_openedBecause} " +
                    $"(one message tries it again {_settings.CircuitBreak.TotalSeconds:0} s after it opened)";
            }
        }

        /// <summary>
        /// Connection trouble and 4xx replies may clear up; anything else will fail the same way again. A message sent
        /// whole but never answered is not retried (<see cref="SmtpDeliveryUnconfirmedException"/>): the server may have it.
        /// </summary>
        internal static bool IsTransient(Exception exception) => exception switch
        {
            SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
            SmtpRecipientsDeferredException => true,
            SmtpSecurityException or SmtpNotSpokenException or NoGreetingException or ReplyTooLargeException
                or MailKit.Security.AuthenticationException or MailKit.Security.SslHandshakeException => false,
            SocketException socket => socket.SocketErrorCode is not (SocketError.HostNotFound or SocketError.NoData),
            SmtpProtocolException or ServiceNotConnectedException or IOException or TimeoutException => true,
            _ => false,
        };

        /// <summary>
        /// The relay itself is in trouble: it cannot be reached, does not answer in time, or fails while a connection
        /// is being opened (greeting, EHLO, TLS, login). Refusals are answers.
        /// </summary>
        internal static bool MeansRelayUnavailable(Exception exception, bool inTransaction) => exception switch
        {
            TimeoutException or SocketException => true,
            SmtpDeliveryUnconfirmedException unconfirmed => MeansRelayUnavailable(unconfirmed.InnerException!, inTransaction),
            _ => !inTransaction && BreaksConnection(exception),
        };

        /// <summary>The connection broke (dropped, closed, 421) while a message was being sent over it: maybe the relay, maybe that
        /// message.</summary>
        internal static bool MeansConnectionLostMidMessage(Exception exception, bool inTransaction) => exception switch
        {
            SmtpDeliveryUnconfirmedException unconfirmed => MeansConnectionLostMidMessage(unconfirmed.InnerException!, inTransaction),
            _ => inTransaction && BreaksConnection(exception),
        };

        private static bool BreaksConnection(Exception exception) =>
            exception is SmtpProtocolException or ServiceNotConnectedException or IOException ||
            exception is SmtpCommandException { StatusCode: SmtpStatusCode.ServiceNotAvailable };

        /// <summary>
        /// Only a message's last attempt counts, so its own retries still run; while the circuit is half open the
        /// one attempt let through is the probe, and its failure counts at once. A connection lost in the middle of
        /// a message counts only once it happened to several different messages in a row; a delivery resets that count.
        /// </summary>
        private bool OpensCircuit(Exception? exception, RelayAttempt attempt)
        {
            if (exception is null)
            {
                Interlocked.Exchange(ref _messagesFailedInARow, 0);
                return false;
            }

            var probe = _circuit.CircuitState == CircuitState.HalfOpen;
            var lastAttempt = probe || !IsTransient(exception) || attempt.Number > _settings.RetryCount;
            if (MeansRelayUnavailable(exception, attempt.InTransaction))
            {
                return lastAttempt;
            }

            return MeansConnectionLostMidMessage(exception, attempt.InTransaction) && lastAttempt &&
                (Interlocked.Increment(ref _messagesFailedInARow) >= MessagesFailingInARow || probe);
        }

        private string Describe(Exception? exception) => exception switch
        {
            SocketException socket => $"could not connect: {socket.Message}",
            ReplyTooSlowException => exception.Message,
            // Said of the later messages that skip the relay, which were not sent at all: not "may have been delivered".
            SmtpDeliveryUnconfirmedException unconfirmed => $"no reply after a message was sent whole: {Describe(unconfirmed.InnerException)}",
            TimeoutException => $"no answer within {_settings.Timeout.TotalSeconds:0} s",
            null => "unknown failure",
            _ => exception.Message,
        };
    }

    /// <summary>Where one message's delivery stands: which attempt this is, and whether it opened a new connection.</summary>
    internal sealed class RelayAttempt
    {
        public int Number { get; private set; }

        /// <summary>Set by the session once this attempt has a connection that greeted, negotiated and logged in: later failures are
        /// mid-message.</summary>
        public bool InTransaction { get; set; }

        /// <summary>Why the last attempt failed; null when none ran (the circuit was open) or none failed.</summary>
        public Exception? LastFailure { get; internal set; }

        internal void Begin()
        {
            Number++;
            InTransaction = false;
        }
    }
}
