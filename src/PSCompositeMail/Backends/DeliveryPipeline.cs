using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Delivers a pipeline's messages through one backend, inline on the pipeline thread or, with a width above
    /// one, on that many workers, each with its own session (its own SMTP connection). Either way outcomes come
    /// back in input order, on the pipeline thread, which meanwhile runs whatever the workers post to it; and at
    /// most twice the width of messages are in flight, so memory stays flat however long the pipeline is.
    /// </summary>
    /// <typeparam name="TState">What the caller keeps with each message until it is settled (a spool claim, say).</typeparam>
    internal sealed class DeliveryPipeline<TState> : IDisposable
    {
        private readonly MailBackend _backend;
        private readonly DeliveryContext _context;
        private readonly int _width;
        private readonly Queue<Job> _inOrder = new Queue<Job>();
        private BlockingCollection<Job>? _work;
        private Thread[]? _workers;
        private IDeliverySession? _inline;

        public DeliveryPipeline(MailBackend backend, DeliveryContext context, int width)
        {
            _backend = backend;
            _context = context;
            _width = Math.Max(1, width);
        }

        /// <summary>Hands a message over; returns the messages finished by now, oldest first.</summary>
        /// <exception cref="OperationCanceledException">The pipeline is being stopped: see <see cref="End"/>.</exception>
        public IReadOnlyList<Job> Submit(IOutgoingMessage message, TState state)
        {
            var job = new Job(message, state);
            _inOrder.Enqueue(job);
            if (_width == 1)
            {
                _inline ??= _backend.OpenSession(_context);
                job.TryStart();
                job.Finish(_inline.Deliver(message).DescribedBy(_backend.DescriptionIn(_context)));
                return Collect(0);
            }

            StartWorkers();
            _work!.Add(job, _context.CancellationToken);
            return Collect((2 * _width) - 1);
        }

        /// <summary>Waits for every message handed over and returns them in order.</summary>
        public IReadOnlyList<Job> Finish() => Collect(0);

        /// <summary>
        /// The pipeline ends before its input did (stopped, or a later command ended it): messages no worker has
        /// started are withdrawn and never sent; those being delivered finish (at once when stopping). Returns
        /// every message handed over and not yet returned, in order, each finished (with its outcome) or not.
        /// </summary>
        public IReadOnlyList<Job> End()
        {
            foreach (var job in _inOrder)
            {
                job.Withdraw();
            }

            StopWorkers();
            var left = _inOrder.ToArray();
            _inOrder.Clear();
            return left;
        }

        private IReadOnlyList<Job> Collect(int mayStayPending)
        {
            _context.RunPostedWork();
            var done = new List<Job>();
            while (_inOrder.Count > 0)
            {
                var head = _inOrder.Peek();
                head.ThrowIfFaulted();
                if (!head.IsFinished)
                {
                    if (_inOrder.Count <= mayStayPending)
                    {
                        break;
                    }

                    // Wait for the oldest message, running what workers need done on this thread meanwhile.
                    WaitHandle.WaitAny(new[] { head.Finished, _context.WorkPosted, _context.CancellationToken.WaitHandle });
                    _context.RunPostedWork();
                    _context.CancellationToken.ThrowIfCancellationRequested();
                    continue;
                }

                done.Add(_inOrder.Dequeue());
            }

            return done;
        }

        private void StartWorkers()
        {
            if (_workers is not null)
            {
                return;
            }

            _work = new BlockingCollection<Job>();
            _workers = Enumerable.Range(1, _width).Select(i => new Thread(Work) { IsBackground = true, Name = $"PSCompositeMail delivery {i}" })
                .ToArray();
            foreach (var worker in _workers)
            {
                worker.Start();
            }
        }

        private void Work()
        {
            using var session = _backend.OpenSession(_context);
            try
            {
                foreach (var job in _work!.GetConsumingEnumerable(_context.CancellationToken))
                {
                    if (!job.TryStart())
                    {
                        continue;
                    }

                    try
                    {
                        job.Finish(session.Deliver(job.Message).DescribedBy(_backend.DescriptionIn(_context)));
                    }
                    catch (Exception ex) when (DeliveryAttempt.IsStop(ex, _context.CancellationToken))
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        // Sessions report failures as results: what escapes is a bug, rethrown on the pipeline thread.
                        job.Fault(ex);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped: what is left is handed back through End.
            }
        }

        /// <summary>Lets the workers run out of work and waits for them, doing on this thread what they still need done.</summary>
        private void StopWorkers()
        {
            if (_workers is null || _work!.IsAddingCompleted)
            {
                return;
            }

            _work.CompleteAdding();
            foreach (var worker in _workers)
            {
                // A worker may still need the pipeline thread (a script block) for the message it has.
                while (!worker.Join(50))
                {
                    _context.RunPostedWork();
                }
            }
        }

        public void Dispose()
        {
            _inline?.Dispose();
            StopWorkers();
            _work?.Dispose();
        }

        /// <summary>One message on its way, and its outcome once there is one.</summary>
        internal sealed class Job
        {
            private const int Queued = 0;
            private const int Started = 1;
            private const int Withdrawn = 2;
            private readonly ManualResetEventSlim _finished = new ManualResetEventSlim(false);
            private int _stage = Queued;
            private ExceptionDispatchInfo? _fault;

            public Job(IOutgoingMessage message, TState state)
            {
                Message = message;
                State = state;
            }

            public IOutgoingMessage Message { get; }

            /// <summary>What the caller attached to the message.</summary>
            public TState State { get; }

            public BackendResult? Outcome { get; private set; }

            public bool IsFinished => Outcome is not null;

            public WaitHandle Finished => _finished.WaitHandle;

            /// <summary>A worker takes the job, unless the pipeline withdrew it first.</summary>
            public bool TryStart() => Interlocked.CompareExchange(ref _stage, Started, Queued) == Queued;

            /// <summary>A delivery began: it may have reached some backend even without an outcome.</summary>
            public bool WasStarted => Volatile.Read(ref _stage) == Started;

            /// <summary>No worker will start it any more.</summary>
            public void Withdraw() => Interlocked.CompareExchange(ref _stage, Withdrawn, Queued);

            public void Finish(BackendResult outcome)
            {
                Outcome = outcome;
                _finished.Set();
            }

            public void Fault(Exception exception)
            {
                _fault = ExceptionDispatchInfo.Capture(exception);
                _finished.Set();
            }

            /// <summary>Rethrows, with the worker's stack, what broke the delivery of this message.</summary>
            public void ThrowIfFaulted() => _fault?.Throw();
        }
    }
}
