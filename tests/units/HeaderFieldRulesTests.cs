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
        [InlineData("Date", "1 Dec 2026 10:00 +0100", "1 Dec 2026 10:00 +0100")]
        [InlineData("Date", " Tue, 1 Jul 2003 10:52:37 -0000 ", "Tue, 1 Jul 2003 10:52:37 -0000")]
        [InlineData("Date", "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)")]
        [InlineData("Date", "Wed, 31 Dec 2008 23:59:60 +0000", "Wed, 31 Dec 2008 23:59:60 +0000")]
        [InlineData("List-Unsubscribe", "<HTTPS://example.com/u>, <mailto:u@example.com>", "<HTTPS://example.com/u>, <mailto:u@example.com>")]
        [InlineData("List-Post", "NO", "NO")]
        [InlineData("List-Help", "<mailto:help@example.com>,<https://example.com/help>", "<mailto:help@example.com>,<https://example.com/help>")]
        [InlineData("X-Anything", "free text", "free text")]
        public void Valid_values_are_written_in_their_normal_form(string name, string value, string written)
        {
            Assert.Equal(written, HeaderFieldRules.Check(name, value));
        }

        [Theory]
        [InlineData("Date", "yesterday")]
        [InlineData("Date", "Tue, 1 Jul 2003 25:61:61 +0000")]
        [InlineData("Date", "Tue, 1 Jul 2003 10:52:37 +9959")]
        [InlineData("Date", "1 Jul 2003 10:52:37 +0200 (CEST) trailing junk")]
        [InlineData("Date", "Mon, 1 Jul 2003 10:52:37 +0200")]
        [InlineData("Date", "31 Feb 2003 10:52:37 +0200")]
        [InlineData("Date", "1 Jul 03 10:52:37 GMT")]
        [InlineData("List-Unsubscribe", "<javascript:alert(1)>")]
        [InlineData("List-Help", "<https://example.com/help>, <data:text/html,x>")]
        [InlineData("List-Archive", "<https:>")]
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
        [InlineData("Received-SPF")]
        [InlineData("delivered-to")]
        [InlineData("X-Original-Authentication-Results")]
        [InlineData("Envelope-To")]
        [InlineData("Apparently-To")]
        public void Fields_only_servers_write_are_refused_by_name(string name)
        {
            var ex = Assert.Throws<MessageValidationException>(() => HeaderFieldRules.Check(name, "x"));
            Assert.Equal(name, ex.BadValue);
            Assert.Equal("Headers", ex.ParamName);
        }
    }
}
