using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Xunit;
using Xunit.Abstractions;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// Source lines of src/ stay within the 150 characters .editorconfig sets for C#. The lines that were longer when
    /// the limit was set are counted, not reformatted (several branches were editing those files at the time):
    /// the count may only go down, and once they are reformatted <see cref="LongerLinesAllowed"/> becomes 0.
    /// </summary>
    public sealed class SourceLineLengthTests
    {
        private const int MaxLineLength = 150;

        /// <summary>Lines over the limit in src/**/*.cs when the limit was set (branch 'small' rebased on the routing move).</summary>
        private const int LongerLinesAllowed = 183;

        private readonly ITestOutputHelper _output;

        public SourceLineLengthTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void No_more_source_lines_are_over_150_characters_than_when_the_limit_was_set()
        {
            var source = Path.Combine(RepositoryRoot(), "src");
            var longer = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
                .Where(file => !IsBuildOutput(source, file))
                .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, number: index + 1, line)))
                .Where(entry => entry.line.Length > MaxLineLength)
                .Select(entry => $"{Path.GetRelativePath(source, entry.file)}:{entry.number} ({entry.line.Length})")
                .ToList();
            var report = $"{longer.Count} line(s) in src/ are over {MaxLineLength} characters ({LongerLinesAllowed} allowed):{Environment.NewLine}" +
                string.Join(Environment.NewLine, longer);
            _output.WriteLine(report);
            Assert.True(longer.Count <= LongerLinesAllowed, report);
        }

        private static bool IsBuildOutput(string source, string file) =>
            Path.GetRelativePath(source, file).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

        /// <summary>The repository this file was compiled from: two folders above tests/units.</summary>
        private static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
    }
}
