using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
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
    internal sealed class DeliveryPipeline : IDisposable
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
        /// <exception cref="OperationCanceledException">The pipeline is being stopped: see <see cref="Abandon"/>.</exception>
        public IReadOnlyList<Job> Submit(IOutgoingMessage message, object? state)
        {
            var job = new Job(message, state);
            _inOrder.Enqueue(job);
            if (_width == 1)
            {
                _inline ??= _backend.OpenSession(_context);
                job.Finish(_inline.Deliver(message));
                return Collect(0);
            }

            StartWorkers();
            _work!.Add(job, _context.CancellationToken);
            return Collect((2 * _width) - 1);
        }

        /// <summary>Waits for every message handed over and returns them in order.</summary>
        public IReadOnlyList<Job> Finish() => Collect(0);

        /// <summary>When stopped: the messages handed over but not returned, whatever became of them.</summary>
        public IReadOnlyList<Job> Abandon()
        {
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
            _workers = Enumerable.Range(1, _width).Select(i => new Thread(Work) { IsBackground = true, Name = $"PSCompositeMail delivery {i}" }).ToArray();
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
                    try
                    {
                        job.Finish(session.Deliver(job.Message));
                    }
                    catch (OperationCanceledException) when (_context.CancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        // Sessions report failures as results; anything else must still not take the host down.
                        var named = new InvalidOperationException(CompositeBackend.DescribeFailures(new[] { (_backend.Name, (string?)ex.Message) }), ex);
                        job.Finish(new BackendResult(_backend.Name, _backend.Kind, DeliveryStatus.Failed, TimeSpan.Zero, named));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped: what is left is handed back through Abandon.
            }
        }

        public void Dispose()
        {
            _inline?.Dispose();
            if (_workers is not null)
            {
                _work!.CompleteAdding();
                foreach (var worker in _workers)
                {
                    // A worker may still need the pipeline thread (a script block) for the messages it has.
                    while (!worker.Join(50))
                    {
                        _context.RunPostedWork();
                    }
                }

                _work.Dispose();
            }

        }

        /// <summary>One message on its way, and its outcome once there is one.</summary>
        internal sealed class Job
        {
            private readonly ManualResetEventSlim _finished = new ManualResetEventSlim(false);

            public Job(IOutgoingMessage message, object? state)
            {
                Message = message;
                State = state;
            }

            public IOutgoingMessage Message { get; }

            /// <summary>What the caller attached to the message (a spool claim, for instance).</summary>
            public object? State { get; }

            public BackendResult? Outcome { get; private set; }

            public bool IsFinished => Outcome is not null;

            public WaitHandle Finished => _finished.WaitHandle;

            public void Finish(BackendResult outcome)
            {
                Outcome = outcome;
                _finished.Set();
            }
        }
    }
}
