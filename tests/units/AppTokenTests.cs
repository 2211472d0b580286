using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Threading;
using MimeKit;
using PSCompositeMail.Engine.Graph;
using PSCompositeMail.Engine.Tokens;
using PSCompositeMail.Tokens;
using Xunit;

namespace PSCompositeMail.Tests
{
    public class AppTokenTests
    {
        private static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (var c in text)
            {
                secure.AppendChar(c);
            }

            return secure;
        }

        [Fact]
        public void One_way_of_getting_tokens_with_what_it_needs()
        {
            new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("s") }.Validate();
            new TokenSettings { ManagedIdentity = true, ManagedIdentityClientId = "id" }.Validate();
            new TokenSettings { GoogleServiceAccountKey = "k.json", UserName = "u@example.com" }.Validate();

            Assert.Throws<ArgumentException>(() => new TokenSettings { TenantId = "t", ClientId = "c" }.Validate());
            Assert.Throws<ArgumentException>(() => new TokenSettings { ClientId = "c", ClientSecret = Secure("s") }.Validate());
            Assert.Throws<ArgumentException>(() => new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("s"), ManagedIdentity = true }.Validate());
            Assert.Throws<ArgumentException>(() => new TokenSettings { TenantId = "t", ClientId = "c", ClientCertificatePath = "a.pfx", ClientCertificateThumbprint = "AB" }.Validate());
            Assert.Throws<ArgumentException>(() => new TokenSettings { GoogleServiceAccountKey = "k.json" }.Validate());
            Assert.Throws<ArgumentException>(() => new TokenSettings { ManagedIdentityClientId = "id", TenantId = "t", ClientId = "c", ClientSecret = Secure("s") }.Validate());
        }

        [Fact]
        public void A_description_names_the_app_and_never_the_secret()
        {
            var settings = new TokenSettings { TenantId = "contoso.com", ClientId = "app-id", ClientSecret = Secure("hush-hush") };
            Assert.Equal(TokenProvider.ClientSecret, settings.Source);
            Assert.Contains("app-id", settings.Describe());
            Assert.DoesNotContain("hush-hush", settings.Describe());
        }

        [Theory]
        [InlineData(MicrosoftCloud.Global, "https://login.microsoftonline.com/", "https://graph.microsoft.com", "https://outlook.office365.com")]
        [InlineData(MicrosoftCloud.USGovernment, "https://login.microsoftonline.us/", "https://graph.microsoft.us", "https://outlook.office365.us")]
        [InlineData(MicrosoftCloud.USGovernmentDoD, "https://login.microsoftonline.us/", "https://dod-graph.microsoft.us", "https://outlook-dod.office365.us")]
        [InlineData(MicrosoftCloud.China, "https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn", "https://partner.outlook.cn")]
        public void Each_cloud_has_its_own_hosts(MicrosoftCloud cloud, string authority, string graph, string exchange)
        {
            Assert.Equal(authority, MicrosoftCloudEndpoints.AuthorityHost(cloud).ToString());
            Assert.Equal(graph, MicrosoftCloudEndpoints.GraphResource(cloud));
            Assert.Equal(exchange, MicrosoftCloudEndpoints.ExchangeResource(cloud));
        }

        [Theory]
        [InlineData("AADSTS7000215: Invalid client secret provided.", "-ClientSecret")]
        [InlineData("AADSTS7000222: The provided client secret keys are expired.", "expired")]
        [InlineData("AADSTS700027: Client assertion failed signature validation.", "-ClientCertificate")]
        [InlineData("AADSTS700016: Application with identifier 'x' was not found.", "-ClientId")]
        [InlineData("AADSTS90002: Tenant 'x' not found.", "-TenantId")]
        public void Common_AADSTS_codes_name_the_setting_at_fault(string message, string named)
        {
            var settings = new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("s") };
            Assert.Contains(named, TokenErrors.ForAadsts(message, settings));
        }

        [Theory]
        [InlineData(503)]
        [InlineData(504)]
        [InlineData(429)]
        public void An_unavailable_token_endpoint_is_an_outage_not_a_wrong_setting(int status)
        {
            var settings = new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("s") };
            var explained = TokenErrors.Explain(new Microsoft.Identity.Client.MsalServiceException("service_not_available", "Service is unavailable to process the request", status), settings);

            var error = Assert.IsType<TokenRequestException>(explained);
            Assert.Contains($"answered {status}", error.Message);
            Assert.Contains("unavailable", error.Message);
            Assert.DoesNotContain("check -TenantId", error.Message);
        }

        [Fact]
        public void A_machine_without_an_identity_endpoint_is_told_so_without_blaming_a_refusal()
        {
            // MSAL's own exception, as it throws it when 169.254.169.254 cannot be reached: the address is never contacted here.
            Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT")));
            var settings = new TokenSettings { ManagedIdentity = true };
            var unreachable = new Microsoft.Identity.Client.MsalServiceException(
                Microsoft.Identity.Client.MsalError.ManagedIdentityUnreachableNetwork, "[Managed Identity] Network is unreachable (169.254.169.254:80)");

            var error = Assert.IsType<TokenRequestException>(TokenErrors.Explain(unreachable, settings));
            Assert.Contains("IDENTITY_ENDPOINT is not set", error.Message);
            Assert.Contains("instance metadata service could not be reached", error.Message);
            Assert.DoesNotContain("refused", error.Message);
        }

        [Fact]
        public async System.Threading.Tasks.Task Graph_gets_Bcc_and_a_copy_without_attachments_leaving_the_message_as_it_was()
        {
            var builder = new BodyBuilder { TextBody = "text" };
            // Past one block of the base64 content and past what a scratch buffer keeps in memory.
            var attachment = new byte[2 * 1024 * 1024 + 1];
            new Random(3).NextBytes(attachment);
            builder.Attachments.Add("big.bin", attachment);
            var message = new MimeMessage(new[] { new MailboxAddress(null, "a@example.com") }, new[] { new MailboxAddress(null, "b@example.com") }, "s", builder.ToMessageBody());
            message.Bcc.Add(new MailboxAddress(null, "hidden@example.com"));

            using var mime = GraphMime.Write(message);
            using var content = GraphContent.Mime(mime);
            var body = await content.ReadAsStringAsync();
            Assert.Equal(GraphMime.Base64Length(mime.Length), content.Headers.ContentLength);
            Assert.Equal(body.Length, content.Headers.ContentLength);
            var decoded = Convert.FromBase64String(body);
            Assert.Contains("Bcc: hidden@example.com", System.Text.Encoding.ASCII.GetString(decoded));
            mime.Position = 0;
            using (var written = new System.IO.MemoryStream())
            {
                mime.CopyTo(written);
                Assert.Equal(written.ToArray(), decoded);
            }

            var (draft, attachments) = GraphMime.Detach(mime);
            Assert.Empty(draft.Attachments);
            Assert.Equal("hidden@example.com", draft.Bcc.Mailboxes.Single().Address);
            var detached = attachments.Single();
            Assert.Equal(attachment.Length, detached.Length);
            using (var read = new System.IO.MemoryStream())
            {
                detached.Content.CopyTo(read);
                Assert.Equal(attachment, read.ToArray());
            }

            Assert.Single(message.Attachments);
            detached.Dispose();
            draft.Dispose();
        }

        [Fact]
        public void A_Graph_endpoint_with_a_path_keeps_it()
        {
            var settings = new PSCompositeMail.Graph.GraphSettings { Tokens = new TokenSettings { ManagedIdentity = true }, Endpoint = new Uri("https://proxy.example/graph") };
            Assert.Equal("https://proxy.example/graph/v1.0/users/a", new Uri(settings.Endpoint, "v1.0/users/a").ToString());
        }

        [Fact]
        public void A_Graph_answer_gives_its_error_code_request_id_and_Retry_After()
        {
            using var response = new HttpResponseMessage((HttpStatusCode)429);
            response.Headers.Add("request-id", "0f1e2d3c-0000-0000-0000-000000000000");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
            var answer = new GraphResponse(response, "{\"error\":{\"code\":\"ApplicationThrottled\",\"message\":\"Slow down.\"}}");
            Assert.False(answer.Succeeded);
            Assert.Equal("ApplicationThrottled", answer.ErrorCode);
            Assert.Equal(TimeSpan.FromSeconds(7), answer.RetryAfter);
            Assert.Contains("request-id 0f1e2d3c", answer.Describe());
        }
    

        private static string Jwt(string payloadJson) =>
            "eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payloadJson)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2ln";

        [Theory]
        [InlineData("", "empty")]
        [InlineData("abc\r\nX-Injected: yes", "characters")]
        [InlineData("abc\n", "characters")]
        [InlineData("two words", "characters")]
        public void A_token_that_cannot_go_into_a_header_is_unusable(string token, string why)
        {
            Assert.Contains(why, AccessTokenCache.Unusable(token));
        }

        [Fact]
        public void JWTs_and_opaque_tokens_are_usable()
        {
            Assert.Null(AccessTokenCache.Unusable(Jwt("{}")));
            Assert.Null(AccessTokenCache.Unusable("ya29.a0AfB_byC-opaque~token/with+padding=="));
        }

        [Fact]
        public void The_roles_claim_lists_the_application_permissions()
        {
            Assert.Equal(new[] { "Mail.Send", "User.Read.All" }, AppPermissions.Roles(Jwt("{\"roles\":[\"Mail.Send\",\"User.Read.All\"]}")));
            Assert.Empty(AppPermissions.Roles(Jwt("{\"appid\":\"x\"}"))!);
            Assert.Null(AppPermissions.Roles("ya29.opaque-google-token"));
            Assert.Null(AppPermissions.Roles("a.not-json.c"));
            Assert.Null(AppPermissions.Roles(Jwt("{}").Substring(0, Jwt("{}").LastIndexOf('.'))));
            Assert.Equal(new[] { "Mail.Send" }, AppPermissions.Roles(Jwt("{\"roles\":\"Mail.Send\"}")));
        }

        [Fact]
        public void The_exp_claim_of_a_JWT_says_when_it_expires()
        {
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), AppPermissions.Expiry(Jwt("{\"exp\":1700000000}")));
            Assert.Null(AppPermissions.Expiry(Jwt("{}")));
            Assert.Null(AppPermissions.Expiry(Jwt("{\"exp\":\"soon\"}")));
            Assert.Null(AppPermissions.Expiry("ya29.opaque-google-token"));
        }

        [Fact]
        public void A_token_whose_exp_has_passed_is_used_but_never_kept()
        {
            var stale = Jwt($"{{\"exp\":{DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds()}}}");
            var endpoint = new ScriptedIssuer(_ => new IssuedToken(stale, DateTimeOffset.UtcNow.AddHours(1)));
            var cache = new AccessTokenCache(App, endpoint);
            Assert.Equal(stale, cache.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None));
            cache.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(2, endpoint.Requests);
            Assert.Equal(stale, cache.LastIssued);
        }

        [Fact]
        public void An_unavailable_token_service_is_not_blamed_on_the_settings()
        {
            var google = new TokenSettings { GoogleServiceAccountKey = "k.json", UserName = "u@example.com" };
            var unavailable = TokenErrors.Explain(new Google.Apis.Auth.OAuth2.Responses.TokenResponseException(
                new Google.Apis.Auth.OAuth2.Responses.TokenErrorResponse { Error = "backendError" }, HttpStatusCode.ServiceUnavailable), google)!;
            Assert.Contains("answered 503", unavailable.Message);
            Assert.DoesNotContain("delegation in the Admin console", unavailable.Message);

            var identity = new TokenSettings { ManagedIdentity = true };
            var broken = TokenErrors.Explain(new Microsoft.Identity.Client.MsalServiceException("managed_identity_request_failed", "The response ended prematurely."), identity)!;
            Assert.Contains("could not be reached or broke off its answer", broken.Message);
            Assert.DoesNotContain("Check that this identity is assigned", broken.Message);
        }

        [Fact]
        public void A_missing_permission_says_how_to_grant_it()
        {
            var app = new TokenSettings { TenantId = "t", ClientId = "app-1", ClientSecret = Secure("s") };
            Assert.Null(AppPermissions.Missing(new[] { "Mail.Send" }, AppPermissions.GraphSend, "Microsoft Graph", app, null));
            // Graph compares permissions case-sensitively: a role that differs in case is not the permission.
            Assert.Contains("only mail.send", AppPermissions.Missing(new[] { "mail.send" }, AppPermissions.GraphSend, "Microsoft Graph", app, null)!.Message);
            var missing = AppPermissions.Missing(new[] { "User.Read.All" }, AppPermissions.SmtpSend, "Office 365 Exchange Online", app, "robot@contoso.com");
            Assert.Contains("only User.Read.All", missing!.Message);
            Assert.Contains("App registrations > app-1 > API permissions", missing.Message);
            Assert.Contains("Grant admin consent", missing.Message);
            Assert.Contains("robot@contoso.com", missing.Message);
            var identity = AppPermissions.Missing(Array.Empty<string>(), AppPermissions.GraphSend, "Microsoft Graph", new TokenSettings { ManagedIdentity = true }, null);
            Assert.Contains("New-MgServicePrincipalAppRoleAssignment", identity!.Message);
        }

        private sealed class ScriptedIssuer : ITokenIssuer
        {
            private readonly Func<CancellationToken, IssuedToken> _answer;

            public ScriptedIssuer(Func<CancellationToken, IssuedToken> answer) => _answer = answer;

            public int Requests { get; private set; }

            public string Endpoint => "https://login.example/t/";

            public string? LastRefusal => null;

            public IssuedToken Request(CancellationToken cancellationToken)
            {
                Requests++;
                return _answer(cancellationToken);
            }
        }

        private static readonly TokenSettings App = new TokenSettings { TenantId = "t", ClientId = "c", ClientSecret = Secure("s") };

        [Fact]
        public void A_usable_token_is_kept_until_five_minutes_before_it_expires_and_renewed_when_asked_fresh()
        {
            var lasting = new ScriptedIssuer(_ => new IssuedToken(Jwt("{}"), DateTimeOffset.UtcNow.AddHours(1)));
            var cache = new AccessTokenCache(App, lasting);
            cache.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None);
            cache.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(1, lasting.Requests);
            cache.GetToken(true, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(2, lasting.Requests);

            var expiring = new ScriptedIssuer(_ => new IssuedToken(Jwt("{}"), DateTimeOffset.UtcNow.AddMinutes(4)));
            var soon = new AccessTokenCache(App, expiring);
            soon.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None);
            soon.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.Equal(2, expiring.Requests);
        }

        [Fact]
        public void An_unusable_token_is_refused_and_never_kept()
        {
            var broken = new ScriptedIssuer(_ => new IssuedToken("abc\r\nX-Injected: yes", DateTimeOffset.UtcNow.AddHours(1)));
            var cache = new AccessTokenCache(App, broken);
            for (var i = 0; i < 2; i++)
            {
                var refused = Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromSeconds(5), CancellationToken.None));
                Assert.Contains("the token endpoint returned an unusable token", refused.Message);
                Assert.DoesNotContain("X-Injected", refused.Message);
            }

            Assert.Equal(2, broken.Requests);
        }

        [Fact]
        public void A_token_request_that_gets_no_answer_fails_within_the_timeout_and_a_stop_is_a_stop()
        {
            var hung = new ScriptedIssuer(token =>
            {
                token.WaitHandle.WaitOne(TimeSpan.FromMinutes(5));
                token.ThrowIfCancellationRequested();
                throw new InvalidOperationException("the bound did not hold");
            });
            var cache = new AccessTokenCache(App, hung);
            var unanswered = Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromMilliseconds(200), CancellationToken.None));
            Assert.IsType<TimeoutException>(unanswered.InnerException);
            Assert.Contains("https://login.example/t/ did not answer within 0.2 s", unanswered.Message);

            var stopping = new AccessTokenCache(App, hung);
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            Assert.ThrowsAny<OperationCanceledException>(() => stopping.GetToken(false, TimeSpan.FromMinutes(5), stop.Token));
        }

        [Fact]
        public void After_a_request_went_unanswered_the_endpoint_is_not_asked_again_for_as_long()
        {
            var answer = false;
            var endpoint = new ScriptedIssuer(token =>
            {
                if (!answer)
                {
                    token.WaitHandle.WaitOne(TimeSpan.FromMinutes(5));
                    token.ThrowIfCancellationRequested();
                }

                return new IssuedToken(Jwt("{}"), DateTimeOffset.UtcNow.AddHours(1));
            });
            var cache = new AccessTokenCache(App, endpoint);
            var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
            var pipeline = new UnansweredTokenRequests(clock);
            Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromSeconds(1), CancellationToken.None, pipeline));
            var quiet = Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromSeconds(1), CancellationToken.None, pipeline));
            Assert.Contains("not asked again before", quiet.Message);
            Assert.IsType<TimeoutException>(quiet.InnerException);
            Assert.Equal(1, endpoint.Requests);

            // Another pipeline (a later Send-CompositeMail call, Test-MailBackend) asks again at once.
            Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromSeconds(1), CancellationToken.None, new UnansweredTokenRequests()));
            Assert.Equal(2, endpoint.Requests);

            answer = true;
            clock.Advance(TimeSpan.FromSeconds(0.9));
            Assert.Throws<TokenRequestException>(() => cache.GetToken(false, TimeSpan.FromSeconds(1), CancellationToken.None, pipeline));
            Assert.Equal(2, endpoint.Requests);
            clock.Advance(TimeSpan.FromSeconds(0.2));
            cache.GetToken(false, TimeSpan.FromSeconds(1), CancellationToken.None, pipeline);
            Assert.Equal(3, endpoint.Requests);
        }
    }
}
