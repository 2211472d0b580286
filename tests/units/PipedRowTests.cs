using System;
using System.Management.Automation;
using PSCompositeMail.Commands;
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

        private static readonly SendParameters Parameters = new SendParameters(typeof(SendCompositeMailCommand));

        private static RowReading Read(object input, bool anyInputIsRow = false) => PipedRow.Read(PSObject.AsPSObject(input),
            Parameters.MessageRowByName, Parameters.RowByName, Array.Empty<string>(), anyInputIsRow);

        private static PSObject Row(params (string Name, object? Value)[] properties)
        {
            var row = new PSObject();
            foreach (var (name, value) in properties)
            {
                row.Properties.Add(new PSNoteProperty(name, value));
            }

            return row;
        }

        [Fact]
        public void One_reading_tells_a_row_and_what_is_wrong_with_it()
        {
            var good = Read(Row(("To", "jane@example.com"), ("Subject", "hi")));
            Assert.True(good.IsRow);
            Assert.Null(good.Problem);

            var badPriority = Read(Row(("To", "jane@example.com"), ("Priority", "Bogus")));
            Assert.True(badPriority.IsRow);
            Assert.Equal("Priority", badPriority.Problem?.ParamName);

            var namesServer = Read(Row(("To", "jane@example.com"), ("SmtpServer", "other.example.com")));
            Assert.Equal("SmtpServer", namesServer.Problem?.ParamName);

            var attachesPath = Read(Row(("To", "jane@example.com"), ("PSPath", "/tmp/report.csv")));
            Assert.Equal("Attachments", attachesPath.Problem?.ParamName);
        }

        [Fact]
        public void An_input_naming_no_message_parameter_is_no_row_and_its_values_are_not_read()
        {
            // FullName binds -Path, which does not make a row: its getter must not even run then.
            var file = new ThrowingFullName();
            var reading = Read(file);
            Assert.False(reading.IsRow);
            Assert.Null(reading.Problem);
            Assert.Equal(0, file.Reads);
        }

        [Fact]
        public void With_a_delay_bind_script_block_any_input_is_a_row()
        {
            var reading = Read(Row(("Name", "disk C:")), anyInputIsRow: true);
            Assert.True(reading.IsRow);
            Assert.Null(reading.Problem);
        }

        private sealed class ThrowingFullName
        {
            public int Reads { get; private set; }

            public string FullName
            {
                get
                {
                    Reads++;
                    return "/tmp/x";
                }
            }
        }
    }
}
