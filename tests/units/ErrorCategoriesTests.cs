using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using MailKit.Net.Smtp;
using PSCompositeMail.Hosting;
using PSCompositeMail.Messages;
using PSCompositeMail.Sending;
using PSCompositeMail.Tokens;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>The module categorises its own exceptions and .NET's; the engine is asked only about its libraries' (MailKit's).</summary>
    public class ErrorCategoriesTests
    {
        public static IEnumerable<object[]> ModuleExceptions() => new[]
        {
            new object[] { new MessageValidationException("no sender", "From", null), ErrorCategory.InvalidArgument },
            new object[] { new MessageValidationException("gone", "Attachments", "a.txt", MessageProblem.NotFound), ErrorCategory.ObjectNotFound },
            new object[] { new MessageValidationException("locked", "Attachments", "a.txt", MessageProblem.NotReadable), ErrorCategory.ReadError },
            new object[] { new TokenRequestException("refused"), ErrorCategory.AuthenticationError },
            new object[] { new TimeoutException(), ErrorCategory.OperationTimeout },
            new object[] { new UnauthorizedAccessException(), ErrorCategory.PermissionDenied },
            new object[] { new IOException(), ErrorCategory.WriteError },
            new object[] { new InvalidOperationException(), ErrorCategory.InvalidOperation },
        };

        [Theory]
        [MemberData(nameof(ModuleExceptions))]
        public void The_module_categorises_its_own_exceptions_and_asks_the_engine_nothing_for_them(Exception exception, ErrorCategory expected)
        {
            var engine = new CountingEngine();

            Assert.Equal(expected, ErrorCategories.For(exception, engine));
            Assert.Equal(exception is InvalidOperationException ? 1 : 0, engine.Asked);
        }

        [Fact]
        public void MailKit_exceptions_are_categorised_by_the_engine()
        {
            var engine = MailEngine.Instance;
            var refused = new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.TransactionFailed, "554 no");

            Assert.Equal(ErrorCategory.AuthenticationError, ErrorCategories.For(new MailKit.Security.AuthenticationException("535"), engine));
            Assert.Equal(ErrorCategory.SecurityError, ErrorCategories.For(new MailKit.Security.SslHandshakeException("bad certificate"), engine));
            Assert.Equal(ErrorCategory.ConnectionError, ErrorCategories.For(new MailKit.ServiceNotConnectedException(), engine));
            Assert.Equal(ErrorCategory.InvalidOperation, ErrorCategories.For(refused, engine));
        }

        [Fact]
        public void The_module_exceptions_of_the_SMTP_part_keep_their_categories()
        {
            var engine = new CountingEngine();

            Assert.Equal(ErrorCategory.ConnectionError, ErrorCategories.For(new System.Net.Sockets.SocketException(), engine));
            Assert.Equal(ErrorCategory.SecurityError, ErrorCategories.For(new System.Security.Authentication.AuthenticationException(), engine));
            Assert.Equal(0, engine.Asked);
        }

        /// <summary>An engine that only counts how often it is asked about an exception.</summary>
        private sealed class CountingEngine : ISendEngine
        {
            public int Asked { get; private set; }

            public ErrorCategory? CategoryOfLibraryError(Exception exception)
            {
                Asked++;
                return null;
            }

            public IOutgoingMessage Build(MessageSpec spec) => throw new NotSupportedException();

            public IOutgoingMessage Load(string path, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null) =>
                throw new NotSupportedException();
        }
    }
}
