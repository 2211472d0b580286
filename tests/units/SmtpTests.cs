using System;
using System.IO;
using DeliveryNotificationOptions = System.Net.Mail.DeliveryNotificationOptions;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using PSCompositeMail.Engine.Smtp;
using PSCompositeMail.Smtp;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class SmtpTests
    {
        [Theory]
        [InlineData(DeliveryNotificationOptions.None, null)]
        [InlineData(DeliveryNotificationOptions.Never, DeliveryStatusNotification.Never)]
        [InlineData(DeliveryNotificationOptions.OnSuccess | DeliveryNotificationOptions.OnFailure, DeliveryStatusNotification.Success | DeliveryStatusNotification.Failure)]
        [InlineData(DeliveryNotificationOptions.Delay, DeliveryStatusNotification.Delay)]
        public void Delivery_notification_options_become_dsn(DeliveryNotificationOptions options, DeliveryStatusNotification? expected)
        {
            Assert.Equal(expected, ReportingSmtpClient.ToDsn(options));
        }

        [Theory]
        [InlineData(null, 0, SmtpSecurity.StartTls, 587)]
        [InlineData(null, 465, SmtpSecurity.SslOnConnect, 465)]
        [InlineData(null, 2525, SmtpSecurity.StartTls, 2525)]
        [InlineData(SmtpSecurity.None, 0, SmtpSecurity.None, 25)]
        [InlineData(SmtpSecurity.SslOnConnect, 0, SmtpSecurity.SslOnConnect, 465)]
        [InlineData(SmtpSecurity.StartTlsWhenAvailable, 0, SmtpSecurity.StartTlsWhenAvailable, 587)]
        public void Omitted_security_means_encryption_required_and_the_port_follows_the_mode(SmtpSecurity? given, int port, SmtpSecurity security, int expectedPort)
        {
            var settings = new SmtpSettings("relay.example.com", given, port);
            Assert.Equal(security, settings.Security);
            Assert.Equal(expectedPort, settings.Port);
            Assert.Equal(given.HasValue, settings.SecurityGiven);
        }

        [Fact]
        public void Transient_failures_are_retried_and_permanent_ones_are_not()
        {
            Assert.True(RelayResilience.IsTransient(new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.MailboxBusy, "451 try later")));
            Assert.True(RelayResilience.IsTransient(new SocketException((int)SocketError.ConnectionRefused)));
            Assert.True(RelayResilience.IsTransient(new IOException("reset")));
            Assert.True(RelayResilience.IsTransient(new TimeoutException()));
            Assert.True(RelayResilience.IsTransient(new SmtpRecipientsDeferredException(new[] { new RejectedRecipient("busy@example.com", 450, "busy") }, 1)));
            Assert.False(RelayResilience.IsTransient(new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.TransactionFailed, "554 no")));
            Assert.False(RelayResilience.IsTransient(new SocketException((int)SocketError.HostNotFound)));
            Assert.False(RelayResilience.IsTransient(new MailKit.Security.AuthenticationException("535")));
        }
    }
}
