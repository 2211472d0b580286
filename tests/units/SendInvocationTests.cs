using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Commands;
using PSCompositeMail.Messages;
using PSCompositeMail.Sending;
using PSCompositeMail.Spool;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// Send-CompositeMail's routing without a runspace: what the command line and each piped input mean, and what is
    /// sent when. The parameters are read from the real cmdlet's declarations; the rules are the README's.
    /// </summary>
    public sealed class SendInvocationTests
    {
        private static readonly SendParameters Parameters = new SendParameters(typeof(SendCompositeMailCommand));

        private readonly SendInvocation _invocation = new SendInvocation(Parameters);

        private readonly GivenMessage _commandLine = new GivenMessage
        {
            Spec = new MessageSpec { To = new[] { "ops@example.com" }, Subject = "Nightly" },
        };

        private static Dictionary<string, object?> Bound(params (string Name, object? Value)[] parameters) =>
            parameters.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);

        private static (string, object?) Recipient => ("To", new[] { "ops@example.com" });

        /// <summary>-Backend on the command line.</summary>
        private static (string, object?) BackendGiven => ("Backend", new MailBackend[] { new MemoryBackend("memory") });

        private static PSObject Row(params (string Name, object? Value)[] properties)
        {
            var row = new PSObject();
            foreach (var (name, value) in properties)
            {
                row.Properties.Add(new PSNoteProperty(name, value));
            }

            return row;
        }

        private static BoundInput Piped(object value, string parameterSet = SendParameters.MessageSet) =>
            new BoundInput { ParameterSet = parameterSet, Value = value, Message = new GivenMessage() };

        private static BoundInput PipedBackends(params MailBackend[] backends) => new BoundInput { Backends = backends };

        private static MailSpoolItem SpoolItem() =>
            new MailSpoolItem(Path.GetTempPath(), "item-1", new SpoolMetadata(), poisoned: false, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        private static T Only<T>(IReadOnlyList<SendDecision> decisions)
            where T : SendDecision => Assert.IsType<T>(Assert.Single(decisions));

        [Fact]
        public void Piped_backends_send_the_command_line_message_once_after_the_last_of_them()
        {
            var (first, second) = (new MemoryBackend("first"), new MemoryBackend("second"));
            Assert.Empty(_invocation.Begin(Bound(Recipient, ("Subject", "Nightly")), expectingInput: true, _commandLine));

            Assert.Empty(_invocation.Input(PipedBackends(first)));
            Assert.Empty(_invocation.Input(PipedBackends(second)));
            var end = _invocation.End();

            Assert.Equal(new[] { first, second }, Assert.IsType<SendDecision.UseBackends>(end[0]).Backends);
            var send = Assert.IsType<SendDecision.Send>(end[1]);
            Assert.Same(_commandLine, send.Message);
            Assert.Empty(send.PipedAttachments);
            Assert.Equal(2, end.Count);
            Assert.False(_invocation.SmtpShortcutUsed);
        }

        [Fact]
        public void A_message_piped_after_backends_is_refused_and_the_command_line_message_still_goes()
        {
            _invocation.Begin(Bound(Recipient), expectingInput: true, _commandLine);
            _invocation.Input(PipedBackends(new MemoryBackend("memory")));

            var refused = Only<SendDecision.Refuse>(_invocation.Input(Piped(Row(("To", "jane@example.com")))));

            Assert.Contains("Backends and messages were piped in together", refused.Problem.Message);
            Assert.IsType<SendDecision.Send>(_invocation.End().Last());
        }

        [Fact]
        public void Backends_piped_beside_SMTP_parameters_fail_the_call()
        {
            _invocation.Begin(Bound(Recipient, ("Port", 2525)), expectingInput: true, _commandLine);

            var fail = Only<SendDecision.Fail>(_invocation.Input(PipedBackends(new MemoryBackend("memory"))));

            Assert.Equal("BackendWithSmtpParameters", fail.ErrorId);
            Assert.StartsWith("-Port builds an SMTP backend of their own", fail.Message);
        }

        [Fact]
        public void Files_piped_with_a_recipient_are_attachments_of_the_one_message_sent_at_the_end()
        {
            Assert.Empty(_invocation.Begin(Bound(Recipient), expectingInput: true, _commandLine));

            // The first input is no backend: the call is the Send-MailMessage form, through $PSEmailServer.
            Only<SendDecision.UseSmtpShortcut>(_invocation.Input(Piped("a.log")));
            Assert.Empty(_invocation.Input(Piped(new FileInfo(Path.Combine(Path.GetTempPath(), "b[1].log")))));
            var send = Only<SendDecision.Send>(_invocation.End());

            Assert.Same(_commandLine, send.Message);
            Assert.Equal(new[] { "a.log", WildcardPattern.Escape(Path.Combine(Path.GetTempPath(), "b[1].log")) }, send.PipedAttachments);
            Assert.True(_invocation.SmtpShortcutUsed);
            Assert.False(_invocation.WritesResults);
        }

        [Fact]
        public void Files_piped_without_message_parameters_are_eml_messages_each_sent_as_it_comes()
        {
            _invocation.Begin(Bound(BackendGiven), expectingInput: true, new GivenMessage());

            var files = Only<SendDecision.SendFiles>(_invocation.Input(Piped("saved.eml")));

            Assert.Equal(new[] { "saved.eml" }, files.Paths);
            Assert.True(files.Piped);
            Assert.Empty(_invocation.End());
        }

        [Fact]
        public void Files_piped_with_message_parameters_but_no_recipient_fail_the_call()
        {
            _invocation.Begin(Bound(BackendGiven, ("Subject", "Logs")), expectingInput: true, new GivenMessage());

            var fail = Only<SendDecision.Fail>(_invocation.Input(Piped("a.log")));

            Assert.Equal("AmbiguousPipedFiles", fail.ErrorId);
            Assert.Equal(new[] { "a.log" }, fail.Target);
        }

        [Fact]
        public void A_blank_path_or_an_object_that_is_neither_row_nor_file_is_refused()
        {
            _invocation.Begin(Bound(Recipient, BackendGiven), expectingInput: true, _commandLine);

            Assert.Equal("Path", Only<SendDecision.Refuse>(_invocation.Input(Piped("  "))).Problem.ParamName);
            var hashtable = Only<SendDecision.Refuse>(_invocation.Input(Piped(new System.Collections.Hashtable { ["To"] = "jane@example.com" })));
            Assert.Contains("A hashtable's keys are not properties", hashtable.Problem.Message);
        }

        [Fact]
        public void A_row_is_sent_with_its_own_values()
        {
            var backends = new MailBackend[] { new MemoryBackend("memory") };
            var begun = _invocation.Begin(Bound(("Backend", backends)), expectingInput: true, new GivenMessage());
            Assert.Equal(backends, Only<SendDecision.UseBackends>(begun).Backends);
            var row = Piped(Row(("To", "jane@example.com"), ("Subject", "Hello"), ("FullName", "Jane Doe")));

            var send = Only<SendDecision.Send>(_invocation.Input(row));

            Assert.Same(row.Message, send.Message);
            Assert.Empty(send.PipedAttachments);
            Assert.Empty(_invocation.End());
            Assert.True(_invocation.WritesResults);
        }

        [Theory]
        [InlineData("Priority", "Bogus", "Priority")]
        [InlineData("SmtpServer", "other.example.com", "SmtpServer")]
        [InlineData("PSPath", "report.pdf", "Attachments")]
        public void A_row_whose_property_would_be_lost_or_would_choose_the_connection_is_refused(string property, string value, string parameter)
        {
            _invocation.Begin(Bound(BackendGiven), expectingInput: true, new GivenMessage());

            var refused = Only<SendDecision.Refuse>(_invocation.Input(Piped(Row(("To", "jane@example.com"), (property, value)))));

            Assert.Equal(parameter, refused.Problem.ParamName);
        }

        [Fact]
        public void A_row_whose_column_cannot_be_read_is_refused_instead_of_ending_the_pipeline()
        {
            _invocation.Begin(Bound(BackendGiven), expectingInput: true, new GivenMessage());

            var refused = Only<SendDecision.Refuse>(_invocation.Input(Piped(Row(("To", "jane@example.com"), ("Cc", new UnreadableCollection())))));

            Assert.Equal("Cc", refused.Problem.ParamName);
        }

        /// <summary>A column whose enumerator throws, as a lazily read or already closed collection does.</summary>
        private sealed class UnreadableCollection : System.Collections.IEnumerable
        {
            public System.Collections.IEnumerator GetEnumerator() => throw new InvalidOperationException("cannot be read");
        }

        [Fact]
        public void A_row_property_the_command_line_gives_is_not_checked_it_is_the_command_line_s()
        {
            _invocation.Begin(Bound(BackendGiven, ("Priority", "High")), expectingInput: true, new GivenMessage());

            Only<SendDecision.Send>(_invocation.Input(Piped(Row(("To", "jane@example.com"), ("Priority", "Bogus")))));
        }

        [Fact]
        public void A_delay_bind_script_block_makes_a_row_of_any_input_but_not_of_piped_backends()
        {
            var subject = ScriptBlock.Create("\"Report for $($_.Name)\"");
            _invocation.Begin(Bound(Recipient, ("Subject", subject)), expectingInput: true, _commandLine);
            _invocation.Input(PipedBackends(new MemoryBackend("memory")));

            var refused = Only<SendDecision.Refuse>(_invocation.End());

            Assert.Equal("Subject", refused.Problem.ParamName);

            var rows = new SendInvocation(Parameters);
            rows.Begin(Bound(Recipient, ("Subject", subject), BackendGiven), expectingInput: true, _commandLine);
            Only<SendDecision.Send>(rows.Input(Piped("a.log")));
            Assert.Empty(rows.End());
        }

        [Fact]
        public void A_spool_item_is_resent_as_it_is_and_refused_beside_message_parameters()
        {
            var item = SpoolItem();
            _invocation.Begin(Bound(BackendGiven), expectingInput: true, new GivenMessage());

            var spoolInput = new BoundInput { ParameterSet = SendParameters.SpoolSet, SpoolItems = new[] { item } };
            var resend = Only<SendDecision.Resend>(_invocation.Input(spoolInput));
            Assert.Same(item, Assert.Single(resend.Items));

            var withSubject = new SendInvocation(Parameters);
            withSubject.Begin(Bound(BackendGiven, ("Subject", "x")), expectingInput: true, new GivenMessage());
            var refused = Only<SendDecision.Refuse>(withSubject.Input(Piped(item)));
            Assert.Contains("Spool item item-1 was not resent", refused.Problem.Message);
        }

        [Fact]
        public void A_command_line_naming_a_recipient_is_sent_at_the_end_when_nothing_was_piped()
        {
            Assert.Empty(_invocation.Begin(Bound(Recipient), expectingInput: true, _commandLine));

            var end = _invocation.End();

            Assert.IsType<SendDecision.UseSmtpShortcut>(end[0]);
            Assert.Same(_commandLine, Assert.IsType<SendDecision.Send>(end[1]).Message);
            Assert.Equal(2, end.Count);
        }

        [Fact]
        public void A_command_line_without_a_recipient_sends_nothing_when_nothing_was_piped()
        {
            _invocation.Begin(Bound(("Subject", "x")), expectingInput: true, new GivenMessage());

            Assert.Empty(_invocation.End());
            Assert.False(_invocation.SmtpShortcutUsed);
        }

        [Fact]
        public void Without_backends_or_input_the_Send_MailMessage_form_is_chosen_at_once_and_writes_results_only_with_PassThru()
        {
            Only<SendDecision.UseSmtpShortcut>(_invocation.Begin(Bound(Recipient), expectingInput: false, _commandLine));
            Assert.False(_invocation.WritesResults);
            Only<SendDecision.Send>(_invocation.Input(new BoundInput { Message = _commandLine }));
            Assert.Empty(_invocation.End());

            var passThru = new SendInvocation(Parameters);
            var bound = Bound(Recipient, ("SmtpServer", "relay"), ("PassThru", new SwitchParameter(true)));
            Only<SendDecision.UseSmtpShortcut>(passThru.Begin(bound, expectingInput: true, _commandLine));
            Assert.True(passThru.WritesResults);
        }

        [Fact]
        public void Backends_piped_into_the_Send_MailMessage_form_fail_the_call()
        {
            _invocation.Begin(Bound(Recipient, ("SmtpServer", "relay")), expectingInput: true, _commandLine);
            var backends = new MailBackend[] { new MemoryBackend("memory") };

            var fail = Only<SendDecision.Fail>(_invocation.Input(PipedBackends(backends)));

            Assert.Equal("BackendWithSmtpParameters", fail.ErrorId);
            Assert.Same(backends, fail.Target);
        }

        [Fact]
        public void Backend_with_SMTP_parameters_on_the_command_line_fails_the_call_before_anything_is_sent()
        {
            var fail = Only<SendDecision.Fail>(_invocation.Begin(
                Bound(Recipient, BackendGiven, ("UseSsl", new SwitchParameter(true)), ("TimeoutSec", 5)),
                expectingInput: false,
                _commandLine));

            Assert.StartsWith("-UseSsl, -TimeoutSec build an SMTP backend", fail.Message);
        }

        [Fact]
        public void Path_on_the_command_line_contradicts_message_parameters()
        {
            var begun = _invocation.Begin(Bound(("Path", new[] { "a.eml" }), ("Subject", "x")), expectingInput: false, new GivenMessage());

            var fail = Only<SendDecision.Fail>(begun);

            Assert.Equal("PathWithMessageParameters", fail.ErrorId);
        }

        [Fact]
        public void Path_on_the_command_line_is_sent_once_at_the_end_and_piped_input_is_refused()
        {
            var paths = new[] { "a.eml", "b.eml" };
            _invocation.Begin(Bound(("Path", paths), BackendGiven), expectingInput: true, new GivenMessage());

            Only<SendDecision.Refuse>(_invocation.Input(Piped("c.eml")));
            var files = Only<SendDecision.SendFiles>(_invocation.End());

            Assert.Equal(paths, files.Paths);
            Assert.False(files.Piped);
        }

        [Fact]
        public void Path_on_the_command_line_without_input_is_sent_as_the_one_input()
        {
            var paths = new[] { "a.eml" };
            _invocation.Begin(Bound(("Path", paths), BackendGiven), expectingInput: false, new GivenMessage());

            var files = Only<SendDecision.SendFiles>(_invocation.Input(new BoundInput { ParameterSet = SendParameters.MessageSet, Paths = paths }));

            Assert.Equal(paths, files.Paths);
            Assert.Empty(_invocation.End());
        }
    }
}
