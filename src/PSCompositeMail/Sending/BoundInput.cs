using System;
using System.Collections.Generic;
using PSCompositeMail.Backends;
using PSCompositeMail.Messages;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// What Send-CompositeMail's parameters hold while one input is processed (or, without pipeline input, the command
    /// line's values). Read from the parameters themselves: PowerShell resets a pipeline-bound value for each input,
    /// while $PSBoundParameters keeps what an earlier input bound.
    /// </summary>
    internal sealed class BoundInput
    {
        /// <summary>The parameter set PowerShell chose for this input.</summary>
        public string ParameterSet { get; set; } = SendParameters.MessageSet;

        /// <summary>-Backend's value: piped in, unless the command line gave it.</summary>
        public IReadOnlyList<MailBackend>? Backends { get; set; }

        /// <summary>The input as it came, when it bound to no parameter of its own (a row, a file, anything else).</summary>
        public object? Value { get; set; }

        public IReadOnlyList<MailSpoolItem> SpoolItems { get; set; } = Array.Empty<MailSpoolItem>();

        public IReadOnlyList<string> Paths { get; set; } = Array.Empty<string>();

        /// <summary>The message parameters: the command line's, and a row's where it set them.</summary>
        public GivenMessage Message { get; set; } = new GivenMessage();
    }
}
