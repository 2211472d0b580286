namespace PSCompositeMail.Domain
{
    /// <summary>How one check of Test-MailDomain came out.</summary>
    public enum DomainCheckStatus
    {
        /// <summary>Mail passes this check.</summary>
        Pass,

        /// <summary>Mail may land, but receivers may judge it less kindly; worth fixing.</summary>
        Warn,

        /// <summary>Receivers will reject or junk mail for this reason.</summary>
        Fail,
    }

    /// <summary>One thing Test-MailDomain judged (MX, SPF, DKIM or DMARC), what it found, and what to publish to fix it.</summary>
    public sealed class DomainCheck
    {
        internal DomainCheck(string name, DomainCheckStatus status, string detail, string? fix = null, string? backend = null)
        {
            Name = name;
            Status = status;
            Detail = detail;
            Fix = fix;
            Backend = backend;
        }

        /// <summary>MX, SPF, DKIM or DMARC.</summary>
        public string Name { get; }

        public DomainCheckStatus Status { get; }

        /// <summary>What DNS holds and why it is judged so.</summary>
        public string Detail { get; }

        /// <summary>What to change in DNS (the exact record where one is known); empty when nothing needs fixing.</summary>
        public string? Fix { get; }

        /// <summary>The backend this check is about (its relay's address, its DKIM key), or empty for the domain as a whole.</summary>
        public string? Backend { get; }

        /// <summary>As nested checks show in a list view: escaped, since the text comes from DNS.</summary>
        public override string ToString() =>
            Messages.ControlCharacters.Escape(Backend is null ? $"{Status} {Name}: {Detail}" : $"{Status} {Name} ({Backend}): {Detail}");
    }
}
