using System;
using System.Linq;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>How composites carry a message that a relay delivered to some recipients and still owes to others.</summary>
    public class PartialDeliveryTests
    {
        private static OutgoingMessage ToThree() => MessageBuilder.Build(new MessageSpec
        {
            From = "ops@example.com",
            To = new[] { "a@example.com", "busy@example.com" },
            Bcc = new[] { "hidden@example.com" },
            Subject = "partial",
            Body = "body",
        });

        private static BackendResult Deliver(CompositeBackend composite)
        {
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            using var session = composite.OpenSession(context);
            using var message = ToThree();
            return session.Deliver(message);
        }

        [Fact]
        public void Failover_hands_the_next_backend_only_the_recipients_still_owed()
        {
            var backup = new MemoryBackend("backup");
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { new PartlyDeliveringBackend("primary", "busy@example.com"), backup }, DeliveryPolicy.Failover));

            Assert.True(result.Succeeded);
            Assert.Equal(new[] { "busy@example.com" }, backup.Messages.Single().Recipients);
            Assert.Empty(result.PendingRecipients);
        }

        [Fact]
        public void A_failed_failover_owes_what_its_last_backend_still_owes()
        {
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { new ThrowingBackend("primary"), new PartlyDeliveringBackend("backup", "busy@example.com") }, DeliveryPolicy.Failover));

            Assert.False(result.Succeeded);
            Assert.Equal(new[] { "busy@example.com" }, result.PendingRecipients);
        }

        [Fact]
        public void Under_All_every_backend_gets_the_whole_message_and_the_composite_owes_what_any_failed_one_owes()
        {
            var archive = new MemoryBackend("archive");
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { new PartlyDeliveringBackend("relay", "busy@example.com"), archive }, DeliveryPolicy.All));

            Assert.False(result.Succeeded);
            Assert.Equal(3, archive.Messages.Single().Recipients.Count);
            Assert.Equal(new[] { "busy@example.com" }, result.PendingRecipients);
            Assert.Equal(new[] { "busy@example.com" }, result.OwedOf(new[] { "a@example.com", "busy@example.com", "hidden@example.com" }));
        }

        [Fact]
        public void A_failure_that_names_no_one_owes_every_recipient()
        {
            var result = Deliver(new CompositeBackend("c", new MailBackend[] { new ThrowingBackend("relay"), new MemoryBackend("archive") }, DeliveryPolicy.All));

            Assert.Equal(new[] { "a@example.com", "busy@example.com", "hidden@example.com" }, result.PendingRecipients);
        }

        [Fact]
        public void A_narrowed_message_shares_the_content_and_leaves_the_original_whole_when_disposed()
        {
            using var message = ToThree();
            using (var narrowed = message.ForRecipients(new[] { "BUSY@example.com" }))
            {
                Assert.Equal(new[] { "busy@example.com" }, narrowed.RecipientAddresses);
                Assert.Equal(message.MessageId, narrowed.MessageId);
            }

            Assert.Equal("partial", message.Mime.Subject);
            Assert.Equal(3, message.RecipientAddresses.Count);
        }

        /// <summary>What an SMTP relay reports when it delivered to everyone but <see cref="_owed"/>.</summary>
        private sealed class PartlyDeliveringBackend : MailBackend
        {
            private readonly string _owed;

            public PartlyDeliveringBackend(string name, string owed)
                : base(name, MailBackendKind.Null)
            {
                _owed = owed;
            }

            public override string Description => $"refuses {_owed} for now";

            internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this);

            private sealed class Session : IDeliverySession
            {
                private readonly PartlyDeliveringBackend _backend;

                public Session(PartlyDeliveringBackend backend)
                {
                    _backend = backend;
                }

                public BackendResult Deliver(IOutgoingMessage message) => message.RecipientAddresses.Contains(_backend._owed)
                    ? new BackendResult(_backend.Name, _backend.Kind, DeliveryStatus.Failed, TimeSpan.Zero, new InvalidOperationException($"{_backend._owed}: 450 busy"), pendingRecipients: new[] { _backend._owed })
                    : new BackendResult(_backend.Name, _backend.Kind, DeliveryStatus.Sent, TimeSpan.Zero);

                public void Dispose()
                {
                }
            }
        }
    }
}
