using System.Linq;
using System.Text.RegularExpressions;
using MimeKit.Utils;
using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Messages;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class MessageBuilderTests
    {
        [Theory]
        [InlineData("a@example.com; b@example.com", new[] { "a@example.com", " b@example.com" })]
        [InlineData("\"Doe, John\" <j@example.com>, x@example.com", new[] { "\"Doe, John\" <j@example.com>", " x@example.com" })]
        [InlineData("a@example.com;;", new[] { "a@example.com" })]
        public void Address_lists_split_on_commas_and_semicolons_outside_quotes(string input, string[] expected)
        {
            Assert.Equal(expected, AddressParser.SplitList(input).ToArray());
        }

        [Theory]
        [InlineData("not-an-address")]
        [InlineData("user@")]
        [InlineData("@example.com")]
        [InlineData("a@example.com\r\nBcc: evil@example.com")]
        public void Bad_addresses_are_refused_with_the_value_as_target(string address)
        {
            var ex = Assert.Throws<MessageValidationException>(() => AddressParser.ParseOne(address, "To"));
            Assert.Equal(address, ex.BadValue);
            Assert.Equal("To", ex.ParamName);
        }

        [Fact]
        public void Bcc_reaches_the_envelope_but_not_the_written_headers()
        {
            using var message = MessageBuilder.Build(new MessageSpec
            {
                From = "ops@example.com",
                To = new[] { "a@example.com" },
                Bcc = new[] { "hidden@example.com" },
                Subject = "s",
            });

            Assert.Contains(message.Recipients, r => r.Address == "hidden@example.com");
            Assert.DoesNotContain("hidden@example.com", message.Capture().ToString());
        }

        [Fact]
        public void A_message_without_recipients_is_refused()
        {
            var ex = Assert.Throws<MessageValidationException>(() => MessageBuilder.Build(new MessageSpec { From = "ops@example.com", Subject = "s" }));
            Assert.Contains("no recipient", ex.Message);
        }

        [Fact]
        public void Html_and_text_bodies_make_a_multipart_alternative()
        {
            using var message = MessageBuilder.Build(new MessageSpec
            {
                From = "ops@example.com",
                To = new[] { "a@example.com" },
                Body = "plain",
                HtmlBody = "<p>rich</p>",
            });

            Assert.Equal("multipart/alternative", message.Mime.Body!.ContentType.MimeType);
            Assert.Equal("plain", message.Mime.TextBody);
            Assert.Equal("<p>rich</p>", message.Mime.HtmlBody);
        }

        [Theory]
        [InlineData("example.com")]
        [InlineData("bücher.example")]
        public void Message_ids_keep_MimeKits_form(string domain)
        {
            var mimeKits = MimeUtils.GenerateMessageId(domain);
            var ours = MessageIds.Generate(domain);
            var again = MessageIds.Generate(domain);

            var form = new Regex("^[0-9A-Z]+\\.[0-9A-Z]+@(?<domain>.+)$");
            Assert.Matches(form, mimeKits);
            Assert.Equal(form.Match(mimeKits).Groups["domain"].Value, form.Match(ours).Groups["domain"].Value);
            Assert.Matches(form, again);
            Assert.NotEqual(ours, again);
        }

        [Fact]
        public void Message_ids_stay_unique_across_reads_of_the_random_generator()
        {
            // The random parts are read for 64 ids at a time: 200 ids cross several reads.
            var ids = Enumerable.Range(0, 200).Select(_ => MessageIds.Generate("example.com")).ToArray();
            Assert.Equal(ids.Length, ids.Distinct().Count());
            Assert.Equal(ids.Length, ids.Select(id => id.Substring(id.IndexOf('.'))).Distinct().Count());
        }

        [Fact]
        public void A_built_message_gets_such_a_message_id()
        {
            var message = Messages.Simple();
            Assert.Matches("^[0-9A-Z]+\\.[0-9A-Z]+@example\\.com$", message.MessageId);
        }
    }
}
