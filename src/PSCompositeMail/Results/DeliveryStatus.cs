namespace PSCompositeMail.Results
{
    /// <summary>What one backend did with one message.</summary>
    public enum DeliveryStatus
    {
        Sent,
        Failed,
        Skipped,
        Spooled,
    }
}
