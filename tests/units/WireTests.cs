using System;
using System.IO;
using System.Linq;
using System.Text;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Messages;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class WireTests
    {
        [Theory]
        [InlineData("a\r\n.\r\n", null)]
        [InlineData("a\r.\r\n", "a CR that does not end a line (octet 2)")]
        [InlineData("a\n", "an LF without CR (octet 1)")]
        [InlineData("a\r", "a CR at the end that does not end a line")]
        public void The_line_check_finds_bare_line_ends(string text, string? problem)
        {
            using var check = new WireLineCheck();
            var bytes = Encoding.ASCII.GetBytes(text);
            check.Write(bytes, 0, bytes.Length);
            Assert.Equal(problem, check.Finish());
        }

        [Fact]
        public void The_line_check_counts_lines_across_writes()
        {
            using var check = new WireLineCheck();
            var half = Encoding.ASCII.GetBytes(new string('x', 500));
            check.Write(half, 0, half.Length);
            Assert.Null(check.Problem);
            check.Write(half, 0, half.Length);
            Assert.StartsWith("a line longer than 998 octets", check.Finish());
        }

        [Theory]
        [InlineData(" <a.b@example.com> ", "a.b@example.com")]
        [InlineData("x@[127.0.0.1]", "x@[127.0.0.1]")]
        public void A_message_id_is_taken_without_its_brackets(string given, string expected)
        {
            Assert.Equal(expected, HeaderInputValidator.MessageId(given));
        }

        [Theory]
        [InlineData("<>")]
        [InlineData("a@b> <c@d")]
        [InlineData("no-domain")]
        [InlineData("a b@example.com")]
        [InlineData("grüße@example.com")]
        [InlineData("a\u001b@example.com")]
        public void A_bad_message_id_is_invalid_input_with_the_value_as_target(string given)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.MessageId(given));
            Assert.Equal("MessageId", ex.ParamName);
            Assert.Equal(given, ex.BadValue);
        }

        [Fact]
        public void A_content_id_needs_no_domain_but_cannot_be_empty()
        {
            Assert.Equal("logo", HeaderInputValidator.ContentId("logo"));
            Assert.Throws<MessageValidationException>(() => HeaderInputValidator.ContentId(string.Empty));
        }

        [Theory]
        [InlineData("to", "-To")]
        [InlineData("BCC", "-Bcc")]
        [InlineData("Content-Transfer-Encoding", "-Encoding")]
        public void Headers_owned_by_a_parameter_name_it(string header, string parameter)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.Headers(new System.Collections.Hashtable { [header] = "x" }));
            Assert.Contains(parameter, ex.Message);
        }

        [Fact]
        public void An_encoding_that_cannot_hold_the_text_is_invalid_input()
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.RequireEncodable(Encoding.ASCII, "café", "Body"));
            Assert.Equal("Encoding", ex.ParamName);
            Assert.Contains("U+00E9", ex.Message);
            HeaderInputValidator.RequireEncodable(Encoding.ASCII, "cafe", "Body");
        }

        [Fact]
        public void Control_characters_are_shown_escaped()
        {
            Assert.Equal("a\\x1B[31mb\\x07\nc\\u2028", ControlCharacters.Escape("a\u001b[31mb\u0007\nc\u2028", keepLineFeeds: true));
            Assert.Equal("tab\tstays", ControlCharacters.Escape("tab\tstays"));
        }

        [Fact]
        public void The_protocol_log_names_connections_and_leaves_message_data_out()
        {
            var path = Path.Combine(Path.GetTempPath(), "pscm-log-" + Guid.NewGuid().ToString("N") + ".log");
            try
            {
                using (var context = new PSCompositeMail.Delivery.DeliveryContext(System.Threading.CancellationToken.None))
                using (var log = new SharedProtocolLog(path))
                {
                    using var logger = log.ForConnection(includeContent: false, context, "smtp");
                    logger.LogConnect(new Uri("smtp://127.0.0.1:25"));
                    Client(logger, "DATA\r\n");
                    Server(logger, "354 go ahead\r\n");
                    Client(logger, "Subject: private\r\n\r\nsecret body\r\n.");
                    Client(logger, "\r\nQUIT\r\n");
                    Server(logger, "221 bye\r\n");
                }

                var lines = File.ReadAllLines(path);
                Assert.All(lines, line => Assert.Matches(@"^\S+Z \[connection 1\] ", line));
                Assert.DoesNotContain(lines, line => line.Contains("secret") || line.Contains("private"));
                Assert.Contains(lines, line => line.EndsWith("C: [message content not logged: 36 octets; -ProtocolLogContent logs it]", StringComparison.Ordinal));
                Assert.EndsWith("C: QUIT", lines.Reverse().Skip(1).First());
            }
            finally
            {
                File.Delete(path);
            }
        }

        private static void Client(MailKit.IProtocolLogger logger, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            logger.LogClient(bytes, 0, bytes.Length);
        }

        private static void Server(MailKit.IProtocolLogger logger, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            logger.LogServer(bytes, 0, bytes.Length);
        }
    }
}
