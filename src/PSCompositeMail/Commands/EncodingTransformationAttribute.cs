using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;

namespace PSCompositeMail.Commands
{
    /// <summary>Accepts the encoding names Send-MailMessage takes (utf8, ascii, unicode, ...), a code page number, or an Encoding.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
    {
        internal static readonly IReadOnlyDictionary<string, Func<Encoding>> Names = new Dictionary<string,
            Func<Encoding>>(StringComparer.OrdinalIgnoreCase)
        {
            // As PowerShell's own -Encoding: ansi is the culture's ANSI code page; oem its OEM code page on Windows,
            // UTF-8 elsewhere, where consoles have no OEM code page.
            ["ansi"] = () => Encoding.GetEncoding(CultureInfo.CurrentCulture.TextInfo.ANSICodePage),
            ["oem"] = () => RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                ? Encoding.GetEncoding(CultureInfo.CurrentCulture.TextInfo.OEMCodePage) : new UTF8Encoding(false),
            ["ascii"] = () => Encoding.ASCII,
            ["bigendianunicode"] = () => Encoding.BigEndianUnicode,
            ["bigendianutf32"] = () => new UTF32Encoding(bigEndian: true, byteOrderMark: true),
            ["default"] = () => new UTF8Encoding(false),
            ["latin1"] = () => Encoding.GetEncoding(28591),
            ["unicode"] = () => Encoding.Unicode,
            ["utf7"] = () => Encoding.UTF7,
            ["utf8"] = () => new UTF8Encoding(false),
            ["utf8BOM"] = () => new UTF8Encoding(true),
            ["utf8NoBOM"] = () => new UTF8Encoding(false),
            ["utf32"] = () => Encoding.UTF32,

            // Older names PowerShell (and so Send-MailMessage) still takes, both UTF-16 as there.
            ["string"] = () => Encoding.Unicode,
            ["unknown"] = () => Encoding.Unicode,
        };

        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            switch (value)
            {
                case Encoding encoding:
                    return encoding;
                case int codePage:
                    return Encoding.GetEncoding(codePage);
                case string name when name.Trim().Length == 0:
                    // An empty CSV cell: not given. Left to fail binding, which a pipeline row's empty value may do
                    // quietly, and which is an error on the command line.
                    return inputData;
                case string name when Names.TryGetValue(name, out var create):
                    return create();
                case string name:
                    try
                    {
                        return Encoding.GetEncoding(name);
                    }
                    catch (ArgumentException)
                    {
                        throw new ArgumentTransformationMetadataException(
                            $"'{Messages.ControlCharacters.Escape(name)}' is not a known encoding. Use one of {string.Join(", ", Names.Keys)}, a " +
                                "code page number, or an encoding name such as 'iso-8859-2'.");
                    }

                default:
                    return inputData;
            }
        }
    }

    /// <summary>Tab completion for -Encoding.</summary>
    internal sealed class EncodingCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
        {
            foreach (var name in EncodingTransformationAttribute.Names.Keys)
            {
                if (name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(name);
                }
            }
        }
    }
}
