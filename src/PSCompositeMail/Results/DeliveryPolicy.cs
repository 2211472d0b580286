namespace PSCompositeMail.Results
{
    /// <summary>How a composite decides that a message was delivered.</summary>
    public enum DeliveryPolicy
    {
        /// <summary>Every backend is attempted; all must succeed.</summary>
        All,

        /// <summary>Every backend is attempted; the first one decides.</summary>
        Primary,

        /// <summary>Every backend is attempted; one success is enough.</summary>
        Any,

        /// <summary>Backends are tried in order until one succeeds; the rest are skipped.</summary>
        Failover,
    }
}
