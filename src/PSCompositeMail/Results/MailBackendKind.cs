namespace PSCompositeMail.Results
{
    public enum MailBackendKind
    {
        Smtp,
        Console,
        Directory,
        Memory,
        Null,
        ScriptBlock,
        Composite,
        Graph,
    }
}
