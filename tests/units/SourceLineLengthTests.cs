using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Xunit;
using Xunit.Abstractions;

namespace PSCompositeMail.Tests
{
    /// <summary>Source lines of src/ stay within the 150 characters .editorconfig sets for C#.</summary>
    public sealed class SourceLineLengthTests
    {
        private const int MaxLineLength = 150;

        private readonly ITestOutputHelper _output;

        public SourceLineLengthTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void No_source_line_is_over_150_characters()
        {
            var source = Path.Combine(RepositoryRoot(), "src");
            var longer = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
                .Where(file => !IsBuildOutput(source, file))
                .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, number: index + 1, line)))
                .Where(entry => entry.line.Length > MaxLineLength)
                .Select(entry => $"{Path.GetRelativePath(source, entry.file)}:{entry.number} ({entry.line.Length})")
                .ToList();
            var report = $"{longer.Count} line(s) in src/ are over {MaxLineLength} characters:{Environment.NewLine}" +
                string.Join(Environment.NewLine, longer);
            _output.WriteLine(report);
            Assert.True(longer.Count == 0, report);
        }

        private static bool IsBuildOutput(string source, string file) =>
            Path.GetRelativePath(source, file).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

        /// <summary>The repository this file was compiled from: two folders above tests/units.</summary>
        private static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
    }
}
