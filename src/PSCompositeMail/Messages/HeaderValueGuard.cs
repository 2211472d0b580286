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
        /// For values that go into a header as they are (ids, -Headers): besides line breaks, no control character
        /// (NUL, ESC, VT, FF, DEL, U+2028, ...) that a receiver might act on.
        /// </summary>
        public static void RejectControlCharacters(string? value, string parameter)
        {
            RejectLineBreaks(value, parameter);
            var at = value is null ? -1 : ControlCharacters.IndexOfUnsafe(value);
            if (at >= 0)
            {
                throw new MessageValidationException(
                    $"The value of -{parameter} contains the control character {ControlCharacters.Describe(value![at])} at position {at + 1}, which is not allowed in a mail header.",
                    parameter,
                    value);
            }
        }
    }
}
