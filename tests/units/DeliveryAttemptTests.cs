using System;
using System.Management.Automation;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Results;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class DeliveryAttemptTests
    {
        private static CompositeBackend CompositeOf(params MailBackend[] backends) => new CompositeBackend("c", backends, DeliveryPolicy.All);

        [Fact]
        public void A_programming_error_in_a_backend_surfaces_as_itself_not_as_a_failed_delivery()
        {
            var buggy = new DelegateBackend("buggy", (_, _) => throw new NullReferenceException("bug"));
            using var session = CompositeOf(buggy, new MemoryBackend("memory")).OpenSession(new DeliveryContext(CancellationToken.None));
            using var message = Messages.Simple();

            Assert.Throws<NullReferenceException>(() => session.Deliver(message));
        }

        [Fact]
        public void A_failing_script_stays_a_failed_delivery_even_when_its_error_is_a_cast()
        {
            // What a script block backend throws for [int]'abc': PowerShell's cast error, an InvalidCastException with an error record.
            var script = new DelegateBackend("script", (_, _) => throw new PSInvalidCastException("Cannot convert value 'abc' to type 'System.Int32'."));
            using var session = CompositeOf(script).OpenSession(new DeliveryContext(CancellationToken.None));
            using var message = Messages.Simple();

            var result = session.Deliver(message);

            var failed = Assert.Single(result.Results);
            Assert.Equal(DeliveryStatus.Failed, failed.Status);
            Assert.IsType<PSInvalidCastException>(failed.Exception);
        }

        [Fact]
        public void A_stop_propagates_even_as_the_PipelineStoppedException_a_script_block_throws()
        {
            using var stopping = new CancellationTokenSource();
            stopping.Cancel();

            Assert.Throws<PipelineStoppedException>(() =>
                DeliveryAttempt.Deliver("script", MailBackendKind.ScriptBlock, stopping.Token, () => throw new PipelineStoppedException()));
            // PowerShell stops a running script block before it calls StopProcessing: the token may not have tripped yet.
            Assert.Throws<PipelineStoppedException>(() =>
                DeliveryAttempt.Deliver("script", MailBackendKind.ScriptBlock, CancellationToken.None, () => throw new PipelineStoppedException()));
            Assert.Equal(
                DeliveryStatus.Failed,
                DeliveryAttempt.Deliver("script", MailBackendKind.ScriptBlock, CancellationToken.None, () => throw new OperationCanceledException())
                    .Status);
        }

        [Fact]
        public void A_bug_on_a_worker_is_rethrown_on_the_pipeline_thread_with_the_workers_stack()
        {
            var buggy = new DelegateBackend("buggy", (_, _) => throw new InvalidCastException("bug on a worker"));
            using var context = new DeliveryContext(CancellationToken.None);
            using var pipeline = new DeliveryPipeline<string>(CompositeOf(buggy), context, width: 2);
            var message = Messages.Simple();

            // The worker may fault before Submit returns, and Submit then reports it: the bug surfaces from either call.
            var bug = Assert.Throws<InvalidCastException>(() =>
            {
                pipeline.Submit(message, "state");
                pipeline.Finish();
            });

            Assert.Equal("bug on a worker", bug.Message);
            Assert.Contains(nameof(DelegateBackend), bug.StackTrace);
            Assert.Equal("state", Assert.Single(pipeline.End()).State);
            message.Dispose();
        }
    }
}
