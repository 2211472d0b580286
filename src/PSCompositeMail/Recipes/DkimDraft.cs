using System.Management.Automation;
using System.Security;
using PSCompositeMail.Messages;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Recipes
{
    /// <summary>A backend kind that can sign with DKIM (SMTP, Directory): its draft collects the DKIM settings.</summary>
    internal interface IDkimDraft
    {
        DkimDraft Dkim { get; }
    }

    /// <summary>The DKIM settings of a backend being made; <see cref="Build"/> reads and checks the key.</summary>
    internal sealed class DkimDraft
    {
        public string? Domain { get; set; }

        public string? Selector { get; set; }

        /// <summary>Already a full path.</summary>
        public string? KeyPath { get; set; }

        /// <summary>The PEM text, instead of <see cref="KeyPath"/>.</summary>
        public SecureString? Key { get; set; }

        /// <summary>Null when no DKIM setting was given; a key that cannot sign is refused now, not at the first send.</summary>
        public DkimSettings? Build(IDkimSignerFactory signers)
        {
            if (Domain is null && Selector is null && KeyPath is null && Key is null)
            {
                return null;
            }

            if (KeyPath is not null && Key is not null)
            {
                // Named by the second way of giving the key, which a profile calls DkimPrivateKeyEnv.
                throw new BackendSettingException(
                    "DkimPrivateKey",
                    "Give the DKIM key once: DkimPrivateKeyPath, or the PEM text (-DkimPrivateKey; DkimPrivateKeyEnv in a profile), not both.",
                    errorId: "DkimIncomplete");
            }

            if (Domain is null || Selector is null || KeyPath is null && Key is null)
            {
                throw new BackendSettingException(
                    Domain is null ? "DkimDomain" : Selector is null ? "DkimSelector" : "DkimPrivateKeyPath",
                    "DKIM needs DkimDomain, DkimSelector, and the key: DkimPrivateKeyPath, or the PEM text (-DkimPrivateKey; DkimPrivateKeyEnv in " +
                        "a profile).",
                    errorId: "DkimIncomplete");
            }

            try
            {
                return KeyPath is null
                    ? DkimSettings.FromSecret(Domain, Selector, Key!, signers)
                    : DkimSettings.FromFile(Domain, Selector, KeyPath, signers);
            }
            catch (InvalidSigningKeyException ex)
            {
                var category = ex.Problem switch
                {
                    MessageProblem.NotFound => ErrorCategory.ObjectNotFound,
                    MessageProblem.NotReadable => ErrorCategory.ReadError,
                    _ => ErrorCategory.InvalidArgument,
                };
                // The engine names the key DkimPrivateKeyPath wherever it came from; the setting given is what the user can fix.
                var setting = ex.ParamName is "DkimDomain" or "DkimSelector" ? ex.ParamName : KeyPath is null ? "DkimPrivateKey"
                    : "DkimPrivateKeyPath";
                throw new BackendSettingException(setting, ex.Message, ex, "InvalidDkimKey", category);
            }
        }
    }

    /// <summary>The DKIM lines of a recipe, shared by every kind that signs.</summary>
    internal static class DkimRecipe
    {
        public static BackendRecipe<TDraft> WithDkim<TDraft>(this BackendRecipe<TDraft> recipe)
            where TDraft : BackendDraft, IDkimDraft, new()
        {
            recipe.Add("DkimDomain", (TDraft d, string v) => d.Dkim.Domain = v);
            recipe.Add("DkimSelector", (TDraft d, string v) => d.Dkim.Selector = v);
            recipe.Add("DkimPrivateKeyPath", (TDraft d, string v) => d.Dkim.KeyPath = d.FullPath(v));
            recipe.Add("DkimPrivateKey", (TDraft d, SecureString v) => d.Dkim.Key = v);
            return recipe;
        }
    }
}
