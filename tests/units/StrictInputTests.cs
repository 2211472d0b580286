using System;
using System.Collections;
using System.IO;
using System.Text;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Engine.Signing;
using PSCompositeMail.Messages;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>Issue 11, the hostile tester's second round: input that is invalid in ways an encoder or IDNA hides.</summary>
    public class StrictInputTests
    {
        private const string HalfAnEmoji = "Report \uD83D";

        private static MessageSpec Spec(Action<MessageSpec>? change = null)
        {
            var spec = new MessageSpec { From = "ops@example.com", To = new[] { "jane@example.com" }, Subject = "probe", Body = "hello" };
            change?.Invoke(spec);
            return spec;
        }

        [Theory]
        [InlineData("Subject")]
        [InlineData("Body")]
        [InlineData("HtmlBody")]
        [InlineData("Subject", "ascii")]
        [InlineData("Body", "iso-8859-1")]
        public void Half_an_emoji_in_the_text_is_invalid_input_with_the_value_as_target(string parameter, string? encoding = null)
        {
            var spec = Spec(s =>
            {
                s.Encoding = encoding is null ? null : Encoding.GetEncoding(encoding);
                typeof(MessageSpec).GetProperty(parameter)!.SetValue(s, HalfAnEmoji);
            });

            var ex = Assert.Throws<MessageValidationException>(() => MessageBuilder.Build(spec));

            Assert.Equal(parameter, ex.ParamName);
            Assert.Equal(HalfAnEmoji, ex.BadValue);
            Assert.Contains("unpaired UTF-16 surrogate \\uD83D", ex.Message);
        }

        [Fact]
        public void A_whole_emoji_is_sent()
        {
            using var message = MessageBuilder.Build(Spec(s => s.Subject = "Report \uD83D\uDE00 done"));
            Assert.Equal("Report \uD83D\uDE00 done", ((OutgoingMessage)message).Mime.Subject);
        }

        /// <summary>'{high}' and '{low}' stand for the halves: an attribute's strings are stored as UTF-8, which turns a lone half into U+FFFD.</summary>
        [Theory]
        [InlineData("X-Note", "a {low} b")]
        [InlineData("List-Id", "Ops {high} <alerts.ops.example.com>")]
        [InlineData("References", "<a{high}@example.com>")]
        [InlineData("In-Reply-To", "<a@example.com{low}>")]
        public void Half_a_character_in_a_header_is_refused_instead_of_becoming_U_FFFD(string header, string written)
        {
            var value = written.Replace("{high}", "\uD83D").Replace("{low}", "\uDE00");
            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.Headers(new Hashtable { [header] = value }));
            Assert.Contains("unpaired UTF-16 surrogate", ex.Message);
        }

        [Fact]
        public void Half_a_character_in_a_display_name_is_refused()
        {
            var address = "\"Jane \uD83D\" <jane@example.com>";
            var ex = Assert.Throws<MessageValidationException>(() => MessageBuilder.Build(Spec(s => s.To = new[] { address })));
            Assert.Equal("To", ex.ParamName);
            Assert.Equal(address, ex.BadValue);
            Assert.Contains("unpaired UTF-16 surrogate", ex.Message);
        }

        [Theory]
        [InlineData("jane@exa\u200Bmple.com")]
        [InlineData("jane@exa\u202Emple.com")]
        [InlineData("jane@exa\u2066mple.com")]
        [InlineData("jane@exa\uFEFFmple.com")]
        [InlineData("jane@exa\u00ADmple.com")]
        [InlineData("jane@exa\u061Cmple.com")]
        [InlineData("ja\u202Ene@example.com")]
        [InlineData("ja\u200Bne@example.com")]
        public void An_invisible_formatting_character_in_an_address_is_invalid_input(string address)
        {
            var ex = Assert.Throws<MessageValidationException>(() => AddressParser.ParseOne(address, "To"));
            Assert.Equal(address, ex.BadValue);
            Assert.Contains("invisible formatting character", ex.Message);
        }

        [Fact]
        public void A_domain_IDNA_cannot_convert_is_invalid_input_and_a_valid_one_is_accepted()
        {
            var tooLong = "jane@" + new string('ä', 60) + ".example.com";
            var ex = Assert.Throws<MessageValidationException>(() => AddressParser.ParseOne(tooLong, "To"));
            Assert.Contains("IDNA", ex.Message);
            Assert.Equal("jane@exämple.com", AddressParser.ParseOne("jane@exämple.com", "To").Address);
        }

        [Theory]
        [InlineData("References", "<a\u202E@example.com>")]
        [InlineData("In-Reply-To", "<a@exa\u200Bmple.com>")]
        public void An_invisible_formatting_character_in_a_message_id_is_invalid_input(string header, string value)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderFieldRules.Check(header, value));
            Assert.Equal(value, ex.BadValue);
            Assert.Contains("invisible formatting character", ex.Message);
        }

        [Theory]
        [InlineData("To: " + "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll" + "@example.com")]
        [InlineData("To: jane@" + "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" + ".example.com")]
        [InlineData("To: jane@exa\u202Emple.com")]
        public void An_eml_file_whose_addresses_break_the_limits_is_invalid_input(string toLine)
        {
            var path = Path.GetTempFileName();
            try
            {
                File.WriteAllText(path, $"From: ops@example.com\r\n{toLine}\r\nSubject: t\r\n\r\nbody\r\n", new UTF8Encoding(false));
                var ex = Assert.Throws<MessageValidationException>(() => MessageBuilder.Load(path));
                Assert.Equal("Path", ex.ParamName);
                Assert.Equal(path, ex.BadValue);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void An_eml_file_whose_sender_is_over_254_characters_is_invalid_input()
        {
            var path = Path.GetTempFileName();
            try
            {
                var domain = string.Join(".", new string('d', 62), new string('e', 62), new string('f', 62), new string('g', 62)) + ".com";
                File.WriteAllText(path, $"From: ops@{domain}\r\nTo: jane@example.com\r\nSubject: t\r\n\r\nbody\r\n");
                var ex = Assert.Throws<MessageValidationException>(() => MessageBuilder.Load(path));
                Assert.Contains("longer than 254", ex.Message);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void A_list_or_table_as_a_header_value_is_refused()
        {
            foreach (var value in new object[] { new object[] { "a", "b" }, new Hashtable { ["a"] = 1 } })
            {
                var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.Headers(new Hashtable { ["X-Arr"] = value }));
                Assert.Same(value, ex.BadValue);
                Assert.Contains("one text per header", ex.Message);
            }
        }

        [Fact]
        public void Two_header_names_that_differ_only_in_case_are_refused()
        {
            var headers = new Hashtable(StringComparer.Ordinal) { ["X-Dup"] = "one", ["x-dup"] = "two" };
            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.Headers(headers));
            Assert.Contains("twice", ex.Message);
        }

        [Theory]
        [InlineData("<mailto:leave@example.com>")]
        [InlineData("<http://example.com/leave>")]
        [InlineData(null)]
        public void List_Unsubscribe_Post_needs_an_https_List_Unsubscribe(string? unsubscribe)
        {
            var headers = new Hashtable { ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click" };
            if (unsubscribe is not null)
            {
                headers["List-Unsubscribe"] = unsubscribe;
            }

            var ex = Assert.Throws<MessageValidationException>(() => HeaderInputValidator.Headers(headers));
            Assert.Contains("https", ex.Message);
            headers["List-Unsubscribe"] = "<mailto:leave@example.com>, <https://example.com/leave>";
            Assert.Equal(2, HeaderInputValidator.Headers(headers).Count);
        }

        [Fact]
        public void Dkim_covers_the_list_fields_a_reader_acts_on()
        {
            using var message = MessageBuilder.Build(Spec(s => s.Headers = new Hashtable
            {
                ["List-Id"] = "Ops <alerts.ops.example.com>",
                ["List-Unsubscribe"] = "<https://example.com/u?id=1>",
                ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
            }));
            var signer = new DkimMessageSigner("example.com", "s1", SigningTests.RsaPem, "test key");

            using var signed = signer.Sign(message);

            var signature = ((OutgoingMessage)signed).Mime.Headers["DKIM-Signature"]!.Replace(" ", string.Empty).Replace("\r\n", string.Empty).Replace("\t", string.Empty);
            var signedHeaders = signature.Substring(signature.IndexOf("h=", StringComparison.Ordinal)).Split(';')[0].ToLowerInvariant();
            Assert.Contains(":list-id:", signedHeaders);
            Assert.Contains(":list-unsubscribe:", signedHeaders);
            Assert.Contains(":list-unsubscribe-post:", signedHeaders);
        }
    }
}
