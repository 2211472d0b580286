using System;
using System.IO;
using PSCompositeMail.Delivery;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;
using PSCompositeMail.Results;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Backends
{
    /// <summary>
    /// Writes one RFC 5322 .eml file per message into a folder (a pickup directory, an outbox to inspect), with its
    /// Bcc header as pickup folders keep it, so sending the file later reaches every recipient.
    /// </summary>
    public sealed class DirectoryBackend : MailBackend
    {
        public DirectoryBackend(string? name, string path, DkimSettings? dkim = null)
            : base(name, MailBackendKind.Directory)
        {
            Path = path;
            Dkim = dkim;
        }

        /// <summary>The folder's full path.</summary>
        public string Path { get; }

        /// <summary>The DKIM domain, selector and key each file is signed with, or null.</summary>
        public DkimSettings? Dkim { get; }

        /// <summary>The DNS TXT record to publish at <c>Dkim.RecordName</c> for receivers to check the signatures.</summary>
        public string? DkimRecord => Dkim?.Record;

        public override string Description => Path;

        internal override IDeliverySession OpenSession(DeliveryContext context) => new Session(this, context);

        internal override BackendTestResult Test(DeliveryContext context)
        {
            var probe = System.IO.Path.Combine(Path, "." + Guid.NewGuid().ToString("N") + ".probe");
            try
            {
                Directory.CreateDirectory(Path);
                File.WriteAllBytes(probe, Array.Empty<byte>());
                File.Delete(probe);
                return new BackendTestResult(Name, Kind, true, TimeSpan.Zero, $"'{Path}' is writable.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new BackendTestResult(Name, Kind, false, TimeSpan.Zero, exception: ex);
            }
        }

        private sealed class Session : StatelessSession<DirectoryBackend>
        {
            public Session(DirectoryBackend backend, DeliveryContext context)
                : base(backend, context)
            {
            }

            protected override string? DeliverOne(IOutgoingMessage message)
            {
                using var signed = Backend.Dkim?.Signer.Sign(message);
                return AtomicFile.Write(Backend.Path, AtomicFile.NewName(DateTime.UtcNow, ".eml"), (signed ?? message).WriteForPickup);
            }
        }
    }
}
