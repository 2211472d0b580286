using System;
using System.Text;
using MailKit.Net.Smtp;
using PSCompositeMail.Delivery;
using PSCompositeMail.Engine;
using PSCompositeMail.Tokens;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class SecretRedactorTests
    {
        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

        [Fact]
        public void A_password_is_masked_in_every_form_it_takes_on_the_wire()
        {
            var secrets = new SecretRedactor();
            secrets.AddPassword("robot@contoso.com", "Pw-12345");

            foreach (var form in new[] { "Pw-12345", Base64("Pw-12345"), Base64("\0robot@contoso.com\0Pw-12345") })
            {
                Assert.Equal("535 5.7.8 bad ******** here", secrets.Redact($"535 5.7.8 bad {form} here"));
            }
        }

        [Fact]
        public void A_bearer_token_is_masked_alone_and_inside_its_xoauth2_string()
        {
            var secrets = new SecretRedactor();
            secrets.AddBearerToken("robot@contoso.com", "eyJ.token.sig");
            var xoauth2 = "user=robot@contoso.com\u0001auth=Bearer eyJ.token.sig\u0001\u0001";

            Assert.Equal("got ********", secrets.Redact("got " + Base64(xoauth2)));
            Assert.Equal("got ********", secrets.Redact("got " + xoauth2));
            Assert.Equal("Bearer ********", secrets.Redact("Bearer eyJ.token.sig"));
            Assert.Equal("nothing secret", secrets.Redact("nothing secret"));
        }

        [Fact]
        public void Token_credentials_include_a_managed_identity_header_and_a_client_secret_as_a_form_posts_it()
        {
            var secrets = new SecretRedactor();
            secrets.AddTokenCredentials(new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("a b+c/d") });

            Assert.Equal("client_secret=********", secrets.Redact("client_secret=" + Uri.EscapeDataString("a b+c/d")));
            Assert.Equal("secret ******** echoed", secrets.Redact("secret a b+c/d echoed"));
        }

        [Fact]
        public void An_exception_is_copied_with_its_kind_and_reply_code_and_every_inner_message_redacted()
        {
            var secrets = new SecretRedactor();
            secrets.AddPassword("robot", "Pw-12345");
            var inner = new SmtpCommandException(SmtpErrorCode.UnexpectedStatusCode, SmtpStatusCode.AuthenticationInvalidCredentials, "535 you sent Pw-12345");
            var outer = new MailKit.Security.AuthenticationException("refused: you sent Pw-12345", inner);

            var redacted = secrets.Redact((Exception)outer);

            Assert.IsType<MailKit.Security.AuthenticationException>(redacted);
            Assert.Equal("refused: you sent ********", redacted.Message);
            var copy = Assert.IsType<SmtpCommandException>(redacted.InnerException);
            Assert.Equal(SmtpStatusCode.AuthenticationInvalidCredentials, copy.StatusCode);
            Assert.DoesNotContain("Pw-12345", redacted.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void An_exception_without_a_secret_is_handed_on_as_it_is()
        {
            var secrets = new SecretRedactor();
            secrets.AddPassword("robot", "Pw-12345");
            var plain = new TimeoutException("no answer");

            Assert.Same(plain, secrets.Redact((Exception)plain));
        }

        private static System.Security.SecureString Secure(string text)
        {
            var secure = new System.Security.SecureString();
            foreach (var c in text)
            {
                secure.AppendChar(c);
            }

            return secure;
        }
    }
}
