using System.Globalization;

namespace PSCompositeMail.Messages
{
    internal static class HeaderValueGuard
    {
        private static readonly char[] LineBreaks = { '\r', '\n' };

        /// <summary>CR or LF in a header value would let input inject headers or recipients.</summary>
        public static void RejectLineBreaks(string? value, string parameter)
        {
            if (value is not null && value.IndexOfAny(LineBreaks) >= 0)
            {
                throw new MessageValidationException(
                    $"The value of -{parameter} contains a line break (CR or LF), which is not allowed in a mail header.",
                    parameter,
                    value);
            }
        }

        /// <summary>
        /// The one rule for every text that becomes a header, whether written as it is (ids, -Headers) or RFC 2047/2231
        /// encoded (the subject, display names, file names): besides line breaks, no control character (NUL, ESC, VT,
        /// FF, DEL, C1, U+2028, ...) and no bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069). Encoding
        /// hides them from the wire, not from the reader's client, which decodes them and may act on them or reorder
        /// what it shows ("invoice\u202Efdp.exe" reads as "invoiceexe.pdf").
        /// </summary>
        public static void RejectControlCharacters(string? value, string parameter)
        {
            RejectLineBreaks(value, parameter);
            RejectUnpairedSurrogates(value, parameter);
            var control = value is null ? -1 : ControlCharacters.IndexOfUnsafe(value);
            var at = control >= 0 || value is null ? control : ControlCharacters.IndexOfBidiControl(value);
            if (at >= 0)
            {
                var what = control >= 0 ? "control character" : "bidirectional control character";
                var why = control >= 0 ? string.Empty : "reorders what a mail reader shows, so it ";
                throw new MessageValidationException(
                    $"The value of -{parameter} contains the {what} {ControlCharacters.Describe(value![at])} at position {at + 1}, which {why}is " +
                        "not allowed in a mail header.",
                    parameter,
                    value);
            }
        }

        /// <summary>
        /// An attachment's file name: the header rule, and no invisible formatting character either (a zero-width space
        /// or joiner, a soft hyphen: they make a name look like another, and hide what its extension really is).
        /// </summary>
        public static void RejectUnsafeFileName(string? fileName, string parameter)
        {
            RejectControlCharacters(fileName, parameter);
            var invisible = fileName is null ? -1 : IndexOfFormatCharacter(fileName);
            if (invisible >= 0)
            {
                var described = ControlCharacters.Describe(fileName![invisible]);
                throw new MessageValidationException(
                    $"The file name '{fileName.Replace(fileName[invisible].ToString(), described)}' of -{parameter} contains the invisible " +
                        $"formatting character {described} at position {invisible + 1}, which hides what the name really is: rename the file.",
                    parameter,
                    fileName);
            }
        }
    
        /// <summary>
        /// Half of a character beyond U+FFFF (an emoji cut in the middle by Substring) has no encoding at all: encoders
        /// throw for it or silently write U+FFFD in its place, which changes an id or a header without a word.
        /// </summary>
        public static void RejectUnpairedSurrogates(string? value, string parameter)
        {
            var at = value is null ? -1 : IndexOfUnpairedSurrogate(value);
            if (at >= 0)
            {
                throw new MessageValidationException(
                    $"The value of -{parameter} contains half of a character at position {at + 1} (the unpaired UTF-16 surrogate " +
                        $"{ControlCharacters.Describe(value![at])}), which no encoding can write: the text was probably cut in the middle of an " +
                        "emoji or other character beyond U+FFFF.",
                    parameter,
                    value);
            }
        }

        /// <summary>
        /// The position of the first invisible character (Unicode category Cf: U+200B, U+202E, U+2066, U+FEFF, U+00AD,
        /// U+061C, ...; and the other default-ignorable code points: the combining grapheme joiner, variation
        /// selectors, Hangul fillers, ...), or -1. In an address or an id they make two different values look the same.
        /// </summary>
        public static int IndexOfFormatCharacter(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (CharUnicodeInfo.GetUnicodeCategory(text, i) == UnicodeCategory.Format || IsDefaultIgnorable(CodePointAt(text, i)))
                {
                    return i;
                }
            }

            return -1;
        }

        private static int CodePointAt(string text, int i) =>
            char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? char.ConvertToUtf32(text[i], text[i + 1])
                : text[i];

        /// <summary>Unicode's Default_Ignorable_Code_Point ranges beyond category Cf (DerivedCoreProperties.txt).</summary>
        private static bool IsDefaultIgnorable(int c) =>
            c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 || (c >= 0x180B && c <= 0x180F) ||
            c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
            (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);

        private static int IndexOfUnpairedSurrogate(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(text[i]))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
