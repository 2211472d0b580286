using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PSCompositeMail.Delivery
{
    /// <summary>
    /// What backends may use while delivering: the pipeline's cancellation, a queue of stream records, and a way
    /// to run PowerShell code on the pipeline thread. Backends never touch PowerShell streams themselves: the
    /// cmdlet drains <see cref="Records"/>, and runs what <see cref="OnPipelineThread{T}"/> posts, on that thread.
    /// </summary>
    internal sealed class DeliveryContext : IDisposable
    {
        private readonly Thread _pipelineThread;
        private readonly BlockingCollection<Action> _posted = new BlockingCollection<Action>();
        private readonly Dictionary<object, string> _descriptions = new Dictionary<object, string>();

        /// <summary>The engine (PSCompositeMail.Engine) the cmdlet handed down; null where no part needs it.</summary>
        private readonly object? _engine;

        /// <summary>
        /// Created on the pipeline thread, with the engine the cmdlet found. It is held as an object: this part sits
        /// below those that use the engine, each through the interface it declares for it (<see cref="Engine{TPart}"/>).
        /// </summary>
        public DeliveryContext(CancellationToken cancellationToken, object? engine = null)
        {
            CancellationToken = cancellationToken;
            _engine = engine;
            _pipelineThread = Thread.CurrentThread;
        }

        public CancellationToken CancellationToken { get; }

        /// <summary>The engine, as the part asking needs it: Smtp's ISmtpEngine, Graph's IGraphEngine, Messages' IMessageFactory, ...</summary>
        public TPart Engine<TPart>()
            where TPart : class =>
            _engine as TPart ?? throw new InvalidOperationException(_engine is null
                ? $"This pipeline was given no engine, and {typeof(TPart).Name} comes from it: create its DeliveryContext with the engine."
                : $"The engine {_engine.GetType().FullName} does not implement {typeof(TPart).FullName}.");

        /// <summary>
        /// <paramref name="backend"/>'s description, made once for this pipeline and every worker of it: every result names
        /// where it came from, and building that text for each message cost more than a Null backend's delivery. The
        /// backend is held as an object for the reason the engine is.
        /// </summary>
        public string DescriptionOf(object backend, Func<object, string> describe)
        {
            lock (_descriptions)
            {
                if (!_descriptions.TryGetValue(backend, out var description))
                {
                    description = describe(backend);
                    _descriptions.Add(backend, description);
                }

                return description;
            }
        }

        /// <summary>The secrets this pipeline's sessions handed to servers: what they say back is redacted with it.</summary>
        public SecretRedactor Secrets { get; } = new SecretRedactor();

        /// <summary>Resent messages and the backends that took them before: composites skip those.</summary>
        public EarlierDeliveries EarlierDeliveries { get; } = new EarlierDeliveries();

        /// <summary>What each message's backends answered so far, so that a stopped delivery still knows who took it.</summary>
        public DeliveryProgress Progress { get; } = new DeliveryProgress();

        /// <summary>Whether anyone will see verbose records: per-message details are not even formatted otherwise.</summary>
        public bool VerboseEnabled { get; set; } = true;

        /// <summary>Whether anyone will see debug records.</summary>
        public bool DebugEnabled { get; set; } = true;

        /// <summary>Whether a record written to that stream will be shown (Information and Warning always are, as far as we know).</summary>
        public bool Shows(StreamKind kind) => kind switch
        {
            StreamKind.Verbose => VerboseEnabled,
            StreamKind.Debug => DebugEnabled,
            _ => true,
        };

        /// <summary>Set whenever a worker posts work for the pipeline thread.</summary>
        public WaitHandle WorkPosted => _postedSignal;

        private readonly AutoResetEvent _postedSignal = new AutoResetEvent(false);
        private readonly ConcurrentDictionary<string, object> _shared = new ConcurrentDictionary<string, object>(StringComparer.Ordinal);

        /// <summary>One object per key for the whole pipeline, shared by every session (a protocol log file); disposed with the context.</summary>
        public T Shared<T>(string key, Func<T> create)
            where T : class => (T)_shared.GetOrAdd(key, _ => create());

        /// <summary>
        /// Runs <paramref name="work"/> on the pipeline thread: at once when called there, otherwise when the
        /// pipeline thread next waits for results. Script blocks (a ScriptBlock backend, an OAuth token provider)
        /// must run there, on the runspace that owns them.
        /// </summary>
        public T OnPipelineThread<T>(Func<T> work)
        {
            if (Thread.CurrentThread == _pipelineThread)
            {
                return work();
            }

            var done = new TaskCompletionSource<T>();
            _posted.Add(() =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            });
            _postedSignal.Set();
            Task.WaitAny(new Task[] { done.Task }, CancellationToken);
            return done.Task.GetAwaiter().GetResult();
        }

        /// <summary>Runs what workers posted; called by the pipeline thread only.</summary>
        public void RunPostedWork()
        {
            while (_posted.TryTake(out var work))
            {
                work();
            }
        }

        public ConcurrentQueue<StreamRecord> Records { get; } = new ConcurrentQueue<StreamRecord>();

        public void Dispose()
        {
            foreach (var shared in _shared.Values)
            {
                (shared as IDisposable)?.Dispose();
            }

            _shared.Clear();
            _posted.Dispose();
            _postedSignal.Dispose();
        }

        public void Warning(string text) => Records.Enqueue(new StreamRecord(StreamKind.Warning, Secrets.Redact(text)));

        public void Verbose(string text) => Write(StreamKind.Verbose, text);

        /// <summary>
        /// Queues a record for the pipeline thread to write to the given stream. Verbose and Debug records nobody asked
        /// for are dropped here: PowerShell would hide them anyway, except under -Debug, which makes every verbose
        /// record prompt (Inquire) and so fails a non-interactive script.
        /// </summary>
        public void Write(StreamKind kind, string text)
        {
            if (Shows(kind))
            {
                Records.Enqueue(new StreamRecord(kind, Secrets.Redact(text)));
            }
        }
    }

    internal enum StreamKind
    {
        Information,
        Warning,
        Verbose,
        Debug,
    }

    internal readonly struct StreamRecord
    {
        public StreamRecord(StreamKind kind, string text)
        {
            Kind = kind;
            Text = text;
        }

        public StreamKind Kind { get; }

        public string Text { get; }
    }
}
