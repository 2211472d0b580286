using System.Linq;
using System.Threading;
using PSCompositeMail.Delivery;
using PSCompositeMail.Backends;
using PSCompositeMail.Results;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class CompositeBackendTests
    {
        private static BackendResult Deliver(CompositeBackend composite, DeliveryContext? context = null)
        {
            using var session = composite.OpenSession(context ?? new DeliveryContext(CancellationToken.None));
            using var message = Messages.Simple();
            return session.Deliver(message);
        }

        [Theory]
        [InlineData(DeliveryPolicy.All, new[] { true, true, true }, true)]
        [InlineData(DeliveryPolicy.All, new[] { false, true, true }, false)]
        [InlineData(DeliveryPolicy.All, new[] { true, false, true }, false)]
        [InlineData(DeliveryPolicy.All, new[] { true, true, false }, false)]
        [InlineData(DeliveryPolicy.Primary, new[] { false, true, true }, false)]
        [InlineData(DeliveryPolicy.Primary, new[] { true, false, false }, true)]
        [InlineData(DeliveryPolicy.Any, new[] { false, false, true }, true)]
        [InlineData(DeliveryPolicy.Any, new[] { false, false, false }, false)]
        [InlineData(DeliveryPolicy.Failover, new[] { false, true, false }, true)]
        [InlineData(DeliveryPolicy.Failover, new[] { false, false, false }, false)]
        public void Policy_decides_from_the_backends_outcomes(DeliveryPolicy policy, bool[] working, bool expected)
        {
            var backends = working.Select((ok, i) => ok ? (MailBackend)new MemoryBackend($"b{i}") : new ThrowingBackend($"b{i}"));
            var result = Deliver(new CompositeBackend("c", backends, policy));

            Assert.Equal(expected, result.Succeeded);
            Assert.Equal(working.Length, result.Results.Count);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Descriptions_are_built_once_per_pipeline_unless_they_change(int width)
        {
            var counted = new CountedDescriptionBackend("counted");
            var memory = new MemoryBackend("memory");
            var composite = new CompositeBackend("c", new MailBackend[] { counted, memory }, DeliveryPolicy.All);
            var alone = new CountedDescriptionBackend("alone");
            var results = new System.Collections.Generic.List<BackendResult>();
            foreach (var root in new MailBackend[] { composite, alone })
            {
                using var pipeline = new DeliveryPipeline<int>(root, new DeliveryContext(CancellationToken.None), width);
                for (var i = 0; i < 3; i++)
                {
                    results.AddRange(pipeline.Submit(Messages.Simple($"m{i}"), i).Select(job => job.Outcome!));
                }

                results.AddRange(pipeline.Finish().Select(job => job.Outcome!));
            }

            Assert.Equal(6, results.Count);
            Assert.Equal(1, counted.DescriptionReads);
            Assert.Equal(1, alone.DescriptionReads);
            Assert.All(results.Take(3), r => Assert.Equal("described 1 time(s)", r.Results[0].Description));
            Assert.All(results.Skip(3), r => Assert.Equal("described 1 time(s)", r.Description));
            // A Memory backend's description counts its messages: it is still read for each one.
            Assert.Equal(new[] { "1 message(s) kept in memory", "2 message(s) kept in memory", "3 message(s) kept in memory" },
                results.Take(3).Select(r => r.Results[1].Description));
        }

        [Fact]
        public void Every_backend_is_attempted_even_after_one_fails()
        {
            var first = new MemoryBackend("first");
            var last = new MemoryBackend("last");
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { first, new ThrowingBackend("broken"), last }, DeliveryPolicy.All));

            Assert.Equal(new[] { DeliveryStatus.Sent, DeliveryStatus.Failed, DeliveryStatus.Sent }, result.Results.Select(r => r.Status));
            Assert.Equal(1, first.Count);
            Assert.Equal(1, last.Count);
            Assert.Contains("broken", result.Error);
            Assert.Contains("broken is down", result.Error);
        }

        [Fact]
        public void Every_backend_is_attempted_even_after_a_session_throws_past_its_contract()
        {
            var first = new MemoryBackend("first");
            var last = new MemoryBackend("last");
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { first, new ContractBreakingBackend("broken"), last }, DeliveryPolicy.All));

            Assert.Equal(new[] { DeliveryStatus.Sent, DeliveryStatus.Failed, DeliveryStatus.Sent }, result.Results.Select(r => r.Status));
            Assert.Equal(1, last.Count);
            Assert.Contains("broken broke its contract", result.Error);
        }

        [Fact]
        public void Failover_stops_at_the_first_success_and_skips_the_rest()
        {
            var backup = new MemoryBackend("backup");
            var spare = new MemoryBackend("spare");
            var context = new DeliveryContext(CancellationToken.None);
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { new ThrowingBackend("primary"), backup, spare }, DeliveryPolicy.Failover), context);

            Assert.True(result.Succeeded);
            Assert.Equal(new[] { DeliveryStatus.Failed, DeliveryStatus.Sent, DeliveryStatus.Skipped }, result.Results.Select(r => r.Status));
            Assert.Equal(0, spare.Count);
            var warning = Assert.Single(context.Records);
            Assert.Equal(StreamKind.Warning, warning.Kind);
            Assert.Contains("primary", warning.Text);
        }

        [Fact]
        public void Composites_nest_and_report_their_inner_results()
        {
            var inner = new CompositeBackend("relays", new MailBackend[] { new ThrowingBackend("relay1"), new MemoryBackend("relay2") }, DeliveryPolicy.Failover);
            var outer = new CompositeBackend("outer", new MailBackend[] { inner, new MemoryBackend("audit") }, DeliveryPolicy.All);

            var result = Deliver(outer);

            Assert.True(result.Succeeded);
            var relays = result.Results[0];
            Assert.Equal("relays", relays.Backend);
            Assert.Equal(new[] { "relay1", "relay2" }, relays.Results.Select(r => r.Backend));
        }

        [Fact]
        public void A_failed_nested_composite_exposes_the_root_cause()
        {
            var inner = new CompositeBackend("relays", new MailBackend[] { new ThrowingBackend("relay1") }, DeliveryPolicy.Failover);
            var result = Deliver(new CompositeBackend("outer", new MailBackend[] { inner }, DeliveryPolicy.All));

            var failure = Assert.IsType<MailDeliveryException>(result.Exception);
            Assert.IsType<System.InvalidOperationException>(failure.RootCause);
            Assert.Equal("relay1", Assert.Single(failure.Failures).Backend);
            Assert.Equal(new[] { "relay1" }, result.FailedLeaves().Select(r => r.Backend));
        }
    }
}
