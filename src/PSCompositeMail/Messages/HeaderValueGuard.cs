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
    }
}
