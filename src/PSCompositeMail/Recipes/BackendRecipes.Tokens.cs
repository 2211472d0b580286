using System;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PSCompositeMail.Backends;
using PSCompositeMail.Graph;
using PSCompositeMail.Tokens;

namespace PSCompositeMail.Recipes
{
    /// <summary>The app-token settings that -Smtp and -Graph share (one line each, as in the other recipes), and the Graph backend's draft.</summary>
    internal static partial class BackendRecipes
    {
        private static BackendRecipe<TDraft> WithTokens<TDraft>(this BackendRecipe<TDraft> recipe)
            where TDraft : TokenDraft, new()
        {
            recipe.Add("TenantId", (TDraft d, string v) => d.Given().TenantId = v);
            recipe.Add("ClientId", (TDraft d, string v) => d.Given().ClientId = v);
            recipe.Add("ClientSecret", (TDraft d, SecureString v) => d.Given().ClientSecret = v);
            recipe.Add("ClientCertificate", (TDraft d, X509Certificate2 v) => d.Given().ClientCertificate = v);
            recipe.Add("ClientCertificatePath", (TDraft d, string v) => d.Given().ClientCertificatePath = d.FullPath(v));
            recipe.Add("ClientCertificatePassword", (TDraft d, SecureString v) => d.Given().ClientCertificatePassword = v);
            recipe.Add("ClientCertificateThumbprint", (TDraft d, string v) => d.Given().ClientCertificateThumbprint = v);
            recipe.Add("ManagedIdentity", (TDraft d, SwitchParameter v) => (v.IsPresent ? d.Given() : d.Tokens).ManagedIdentity = v.IsPresent);
            recipe.Add("ManagedIdentityClientId", (TDraft d, string v) => d.Given().ManagedIdentityClientId = v);
            recipe.Add("Cloud", (TDraft d, MicrosoftCloud v) => d.Tokens.Cloud = v);
            recipe.Add("AuthorityHost", (TDraft d, Uri v) => d.Tokens.AuthorityHost = HttpsEndpoint.Require(v, "AuthorityHost"));
            return recipe;
        }

        /// <summary>A draft of a backend that can sign in with app tokens.</summary>
        private abstract class TokenDraft : BackendDraft
        {
            public TokenSettings Tokens { get; } = new TokenSettings();

            /// <summary>Whether any way of getting tokens was given (the cloud alone is not one).</summary>
            public bool TokensGiven { get; private set; }

            public TokenSettings Given()
            {
                TokensGiven = true;
                return Tokens;
            }

            protected TokenSettings ValidTokens()
            {
                try
                {
                    Tokens.Validate();
                }
                catch (ArgumentException ex)
                {
                    throw new BackendSettingException("ClientId", ex.Message, ex, errorId: "InvalidTokenParameters");
                }

                return Tokens;
            }
        }

        private sealed class GraphDraft : TokenDraft
        {
            public GraphSettings Settings { get; } = new GraphSettings();

            public Uri? Endpoint { get; set; }

            public MailBackend Build()
            {
                if (!TokensGiven)
                {
                    throw new BackendSettingException("ClientId",
                        "Graph needs app tokens: TenantId and ClientId with ClientSecret or a certificate, or ManagedIdentity.",
                            errorId: "GraphNeedsTokens");
                }

                Settings.Tokens = ValidTokens();
                Settings.Endpoint = Endpoint ?? MicrosoftCloudEndpoints.Graph(Tokens.Cloud);
                return new GraphBackend(Name, Settings);
            }
        }
    }
}
