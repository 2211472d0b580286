namespace PSCompositeMail.Backends
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
