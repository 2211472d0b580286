namespace PSCompositeMail.Messages
{
    /// <summary>How the console backend shows a message.</summary>
    public enum ConsoleFormat
    {
        /// <summary>Decoded headers, the body, and attachments by name and size.</summary>
        Full,

        /// <summary>One line per message.</summary>
        Summary,
    }
}
