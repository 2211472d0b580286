using PSCompositeMail.Engine.Messages;
using PSCompositeMail.Messages;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class HeaderFieldRulesTests
    {
        [Theory]
        [InlineData("References", "a@example.com<b@example.com>  <c@[192.0.2.1]>", "<a@example.com> <b@example.com> <c@[192.0.2.1]>")]
        [InlineData("in-reply-to", "<grüße@example.com>", "<grüße@example.com>")]
        [InlineData("Date", "1 Dec 2026 10:00 +0100", "Tue, 01 Dec 2026 10:00:00 +0100")]
        [InlineData("List-Post", "NO", "NO")]
        [InlineData("List-Help", "<mailto:help@example.com>,<https://example.com/help>", "<mailto:help@example.com>,<https://example.com/help>")]
        [InlineData("X-Anything", "free text", "free text")]
        public void Valid_values_are_written_in_their_normal_form(string name, string value, string written)
        {
            Assert.Equal(written, HeaderFieldRules.Check(name, value));
        }

        [Theory]
        [InlineData("Date", "yesterday")]
        [InlineData("References", "<a@example.com>, <b@example.com>")]
        [InlineData("References", "   ")]
        [InlineData("In-Reply-To", "<no-domain>")]
        [InlineData("List-Unsubscribe", "<mailto:a@example.com> <https://example.com>")]
        [InlineData("List-Archive", "<no scheme>")]
        [InlineData("List-Id", "<nodot>")]
        public void Invalid_values_are_refused_with_the_whole_value_as_target(string name, string value)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderFieldRules.Check(name, value));
            Assert.Equal(value, ex.BadValue);
            Assert.Contains($"-Headers['{name}']", ex.Message);
        }

        [Theory]
        [InlineData("Return-Path")]
        [InlineData("received")]
        [InlineData("Resent-Message-Id")]
        [InlineData("ARC-Message-Signature")]
        public void Fields_only_servers_write_are_refused_by_name(string name)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderFieldRules.Check(name, "x"));
            Assert.Equal(name, ex.BadValue);
            Assert.Equal("Headers", ex.ParamName);
        }
    }
}
