using PSCompositeMail.Sending;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// A pipeline row's switch written as text. (Rows themselves are checked through the routing in
    /// SendInvocationTests, and through real pipelines in tests/PipedInput.Tests.ps1.)
    /// </summary>
    public sealed class PipedRowTests
    {
        [Theory]
        [InlineData("True", true)]
        [InlineData(" no ", false)]
        [InlineData("1", true)]
        [InlineData("YES", true)]
        [InlineData("", false)]
        [InlineData("$false", false)]
        public void Switch_text_reads_as_a_CSV_cell_writes_it(string text, bool expected) => Assert.Equal(expected, PipedRow.SwitchText(text));

        [Theory]
        [InlineData("maybe")]
        [InlineData("2")]
        [InlineData("on")]
        public void Other_switch_text_is_none(string text) => Assert.Null(PipedRow.SwitchText(text));
    }
}
