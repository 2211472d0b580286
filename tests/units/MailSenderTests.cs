using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using PSCompositeMail.Backends;
using PSCompositeMail.Delivery;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Sending;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>Send-CompositeMail's work without a runspace: input to message to delivery to settling.</summary>
    public sealed class MailSenderTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "pscm-sender-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        private sealed class Host : ISendHost
        {
            public bool Confirms { get; set; } = true;

            public List<string?> Asked { get; } = new List<string?>();

            public bool DescribesMessages { get; set; }

            public bool ShouldProcess(string? description, string? question)
            {
                Asked.Add(description);
                return Confirms;
            }

            public IReadOnlyList<string> ResolveProviderPath(string path) =>
                File.Exists(path) ? new[] { path } : throw new System.Management.Automation.ItemNotFoundException(path);

            public System.Management.Automation.PSObject? GetItem(string path) =>
                File.Exists(path) ? System.Management.Automation.PSObject.AsPSObject(new FileInfo(path)) : null;
        }

        private static MessageSpec Spec(string subject, string to = "jane@example.com") => new MessageSpec
        {
            From = "ops@example.com",
            To = new[] { to },
            Subject = subject,
            Body = "body",
        };

        private MailSender Sender(DeliveryContext context, int width, params MailBackend[] backends)
        {
            var sender = new MailSender(context, new Host(), new SendSettings { ThrottleLimit = width, Spool = new MailSpool(_folder) });
            sender.UseBackends(backends);
            return sender;
        }

        [Fact]
        public void A_delivered_message_is_reported_and_a_failed_one_spooled_with_an_error()
        {
            var memory = new MemoryBackend("memory");
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            using var sender = Sender(context, 1, memory, new DelegateBackend("relay", (_, m) => m.Subject == "bad" ? throw new IOException("refused") : null));

            sender.Send(() => Spec("good"));
            sender.Send(() => Spec("bad"));
            sender.Finish();
            var reports = sender.TakeReports().ToArray();

            Assert.Equal(new[] { true, false }, reports.Select(r => r.Result!.Succeeded));
            Assert.Null(reports[0].Error);
            Assert.Equal("MessageNotDelivered", reports[1].Error!.ErrorId);
            Assert.Contains("kept in the spool", reports[1].Error!.Exception.Message);
            Assert.Equal("bad", new MailSpool(_folder).List().Single().Subject);
            Assert.Equal(2, memory.Count);
        }

        [Fact]
        public void Invalid_input_is_refused_before_any_backend_and_the_rest_goes_on()
        {
            var memory = new MemoryBackend("memory");
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            using var sender = Sender(context, 1, memory);

            sender.Send(() => Spec("broken", to: "not an address"));
            sender.Send(() => Spec("fine"));
            sender.Finish();
            var reports = sender.TakeReports().ToArray();

            Assert.Equal("InvalidMessage", reports[0].Error!.ErrorId);
            Assert.Null(reports[0].Result);
            Assert.True(reports[1].Result!.Succeeded);
            Assert.Equal("fine", Assert.Single(memory.Messages).Subject);
        }

        [Fact]
        public void WhatIf_sends_nothing_and_describes_only_when_asked()
        {
            var memory = new MemoryBackend("memory");
            var host = new Host { Confirms = false, DescribesMessages = true };
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            using var sender = new MailSender(context, host, new SendSettings());
            sender.UseBackends(new[] { memory });

            sender.Send(() => Spec("maybe"));
            sender.Finish();

            Assert.Empty(sender.TakeReports());
            Assert.Equal(0, memory.Count);
            Assert.Contains("'maybe' from ops@example.com to jane@example.com through memory (Memory:", Assert.Single(host.Asked));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(4)]
        public void Stopped_with_messages_on_their_way_each_is_delivered_or_spooled_exactly_once(int width)
        {
            var memory = new MemoryBackend("memory");
            using var stopping = new CancellationTokenSource();
            using var context = new DeliveryContext(stopping.Token, MailEngine.Instance);
            // The relay never answers: every delivery that reaches it waits for the stop.
            var hung = new DelegateBackend("relay", (c, _) =>
            {
                c.CancellationToken.WaitHandle.WaitOne();
                c.CancellationToken.ThrowIfCancellationRequested();
                return null;
            });
            var sender = Sender(context, width, memory, hung);
            var taken = new List<string>();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                SpinWait.SpinUntil(() => memory.Count >= width);
                stopping.Cancel();
            });

            Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                for (var i = 1; i <= 20; i++)
                {
                    taken.Add($"m{i}");
                    var subject = $"m{i}";
                    sender.Send(() => Spec(subject));
                }
            });
            sender.Dispose();

            var spooled = new MailSpool(_folder).List().Select(item => item.Subject).ToArray();
            Assert.Equal(taken, spooled);
            Assert.All(new MailSpool(_folder).List(), item => Assert.Equal("The send was stopped before it finished.", item.Error));
        }

        [Theory]
        [InlineData(2)]
        [InlineData(4)]
        public void Ending_early_settles_every_message_taken_and_gives_every_claim_back(int width)
        {
            var spool = new MailSpool(_folder);
            for (var i = 1; i <= 8; i++)
            {
                using var message = Messages.Simple($"item {i}");
                spool.Add(message, new[] { "relay" }, Array.Empty<string>(), "All", "refused");
            }

            var memory = new MemoryBackend("memory");
            using var context = new DeliveryContext(CancellationToken.None, MailEngine.Instance);
            // Each delivery needs the pipeline thread (as a script block does), so workers wait until it runs their work.
            var onPipelineThread = new DelegateBackend("script", (c, m) => c.OnPipelineThread(() => m.Subject == "item 2" ? throw new IOException("no") : (string?)null));
            var sender = Sender(context, width, memory, onPipelineThread);

            sender.Resend(spool.List());
            sender.End();
            var reports = sender.TakeReports().ToArray();
            sender.Dispose();

            Assert.Empty(Directory.GetFiles(_folder, "*.claimed-*"));
            Assert.Equal(8, reports.Length);
            var delivered = memory.Messages.Select(m => m.Subject).ToArray();
            var left = spool.List().Select(item => item.Subject).ToArray();
            Assert.Equal(Enumerable.Range(1, 8).Select(i => $"item {i}"), delivered.Concat(left).Distinct().OrderBy(s => s));
            // Only the item whose script failed went through one backend and is still kept.
            Assert.DoesNotContain(delivered.Intersect(left), s => s != "item 2");
            Assert.All(reports.Where(r => r.Result is not { Succeeded: true }), r => Assert.NotNull(r.Unwritten));
        }
    }
}
