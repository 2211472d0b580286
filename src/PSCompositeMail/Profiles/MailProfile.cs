using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Security;
using PSCompositeMail.Backends;
using PSCompositeMail.Recipes;
using PSCompositeMail.Results;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Profiles
{
    /// <summary>
    /// Reads a PowerShell data file of environments (Development, Production, ...) each naming its backends, and
    /// builds the backends of one environment. Each entry's Type is a New-MailBackend switch and its other keys are
    /// that switch's parameters, made into a backend by the same <see cref="BackendRecipes"/> as the command line;
    /// only the keys in <see cref="ProfileOnlyKeys"/> differ. Errors name the file, the environment and the key.
    /// About 300 lines: reading the file, the environment keys, the entries and the profile-only keys are one grammar, kept
    /// together so the file format can be read in one place.
    /// </summary>
    internal sealed class MailProfile
    {
        private static readonly string[] EnvironmentKeys = { "Backends", "Policy", "Name", "LogPath" };

        /// <summary>Every kind a data file can describe: it holds constants only, so never a script block.</summary>
        private static readonly MailBackendKind[] Types =
            Enum.GetValues(typeof(MailBackendKind)).Cast<MailBackendKind>().Where(kind => kind != MailBackendKind.ScriptBlock).ToArray();

        /// <summary>
        /// Where a profile deliberately differs from New-MailBackend, one line per key: the key, the parameter it
        /// gives, how its value is read, and the kinds that take it. Secrets never stand in the file, so a credential
        /// or token is named by environment variables or an Export-Clixml file; a Directory's folder is Path (on the
        /// command line the switch itself takes it); a composite lists its members as Backends. A new key of this
        /// sort (a secret read from a variable, say) is one more line; a key that is simply the parameter needs none.
        /// </summary>
        private static readonly ProfileOnlyKey[] ProfileOnlyKeys =
        {
            new ProfileOnlyKey("Path", "Directory", (profile, value, at) => value, MailBackendKind.Directory),
            new ProfileOnlyKey("Credential", "Credential", (profile, value, at) => profile.CredentialFromEnvironment(value, at),
                MailBackendKind.Smtp),
            new ProfileOnlyKey("CredentialFile", "Credential", (profile, value, at) => profile.CredentialFromFile(value, at), MailBackendKind.Smtp),
            new ProfileOnlyKey("OAuthTokenEnv", "OAuthToken", (profile, value, at) => profile.SecretFromEnvironment(value, at), MailBackendKind.Smtp),
            new ProfileOnlyKey("DkimPrivateKeyEnv", "DkimPrivateKey", (profile, value, at) => profile.SecretFromEnvironment(value, at),
                MailBackendKind.Smtp, MailBackendKind.Directory),
            new ProfileOnlyKey("ClientSecretEnv", "ClientSecret", (profile, value, at) => profile.SecretFromEnvironment(value, at),
                MailBackendKind.Smtp, MailBackendKind.Graph),
            new ProfileOnlyKey("ClientCertificatePasswordEnv", "ClientCertificatePassword", (profile, value, at) =>
                profile.SecretFromEnvironment(value, at), MailBackendKind.Smtp, MailBackendKind.Graph),
            new ProfileOnlyKey("Backends", "Backend", (profile, value, at) => profile.ReadBackends(value, at).ToArray(), MailBackendKind.Composite),
        };

        private readonly string _file;
        private readonly string _environment;
        private readonly Func<string, PSCredential> _importCredential;
        private readonly Action<string> _warn;
        private readonly NewMailBackendParameters _parameters;
        private readonly IDkimSignerFactory _dkimSigners;

        /// <param name="importCredential">Reads an Export-Clixml credential file (needs a runspace).</param>
        /// <param name="warn">Where warnings about a backend's settings go.</param>
        /// <param name="parameters">New-MailBackend's parameters, which convert and check each key's value.</param>
        /// <param name="dkimSigners">The engine, which reads and checks DKIM keys.</param>
        public MailProfile(
            string file,
            string environment,
            Func<string, PSCredential> importCredential,
            Action<string> warn,
            NewMailBackendParameters parameters,
            IDkimSignerFactory dkimSigners)
        {
            _file = file;
            _environment = environment;
            _importCredential = importCredential;
            _warn = warn;
            _parameters = parameters;
            _dkimSigners = dkimSigners;
        }

        public static Hashtable Parse(string file)
        {
            if (Platform.RegularFile.WhyNot(file) is { } what)
            {
                throw new ProfileException(file, null, null, $"it is {what}, not a regular file; it was not opened");
            }

            var ast = Parser.ParseFile(file, out _, out var errors);
            if (errors.Length > 0)
            {
                throw new ProfileException(file, null, null,
                    $"it is not a valid PowerShell data file: {errors[0].Message} (line {errors[0].Extent.StartLineNumber})");
            }

            if (ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) is not HashtableAst table)
            {
                throw new ProfileException(file, null, null, "it holds no hashtable; expected @{ Development = @{ Backends = @(...) } }");
            }

            try
            {
                return (Hashtable)table.SafeGetValue();
            }
            catch (InvalidOperationException ex)
            {
                throw new ProfileException(file, null, null, "it may hold only constant values (no commands, variables or script blocks): "
                    + ex.Message);
            }
        }

        /// <summary>The keys an entry of this type takes, as the error for an unknown key lists them.</summary>
        private static IEnumerable<string> KeysOf(MailBackendKind kind)
        {
            var special = ProfileOnlyKeys.Where(k => k.Kinds.Contains(kind)).ToArray();
            return BackendRecipes.For(kind).Settings
                .Where(setting => !special.Any(k => string.Equals(k.Setting, setting, StringComparison.OrdinalIgnoreCase)))
                .Concat(special.Select(k => k.Key))
                .OrderBy(key => key, StringComparer.OrdinalIgnoreCase)
                .Prepend("Type");
        }

        /// <summary>The backends of the environment; when it sets a Policy, one composite holding them.</summary>
        public IReadOnlyList<MailBackend> Read(Hashtable environments)
        {
            var key = environments.Keys.Cast<object>().Select(k => k.ToString())
                .FirstOrDefault(k => string.Equals(k, _environment, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                throw Problem(null, $"there is no such environment; the file has {string.Join(", ", environments.Keys.Cast<object>())}");
            }

            if (environments[key] is not Hashtable settings)
            {
                throw Problem(null, "an environment must be a hashtable such as @{ Backends = @(...) }");
            }

            RejectUnknownEnvironmentKeys(settings);
            var backends = ReadBackends(settings["Backends"], "Backends");
            var logPath = !settings.ContainsKey("LogPath") ? null
                : settings["LogPath"] is string { Length: > 0 } path ? ResolvePath(path)
                : throw Problem("LogPath", "expected the path of the message log, such as './mail.log' (relative to the file)");
            if (!settings.ContainsKey("Policy"))
            {
                // Each backend returned carries the environment's log, so Send-CompositeMail finds it however they are passed.
                backends.ForEach(backend => backend.LogPath = logPath);
                return backends;
            }

            var composite = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["Name"] = Bind("Name", settings["Name"] ?? key, "Name"),
                ["Policy"] = Bind("Policy", settings["Policy"], "Policy"),
                ["Backend"] = backends.ToArray(),
            };
            var environment = Build(MailBackendKind.Composite, composite, new Dictionary<string, string>());
            environment.LogPath = logPath;
            return new[] { environment };
        }

        private List<MailBackend> ReadBackends(object? value, string at)
        {
            var entries = value switch
            {
                object[] array => array,
                Hashtable single => new object[] { single },
                _ => throw Problem(at, "expected a list of backends such as @( @{ Type = 'Console' } )"),
            };
            return entries.Select((entry, i) => ReadBackend(entry, $"{at}[{i}]")).ToList();
        }

        private MailBackend ReadBackend(object? entry, string at)
        {
            if (entry is not Hashtable table)
            {
                throw Problem(at, "each backend must be a hashtable such as @{ Type = 'Smtp'; SmtpServer = 'relay.example.com' }");
            }

            var type = table["Type"]?.ToString();
            var kind = Types.Where(t => string.Equals(t.ToString(), type, StringComparison.OrdinalIgnoreCase)).Select(t => (MailBackendKind?)t)
                .FirstOrDefault()
                ?? throw Problem(at + ".Type", $"'{type}' is not a backend type; expected one of {string.Join(", ", Types)}");
            var keys = KeysOf(kind).ToArray();
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var givenBy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry item in table)
            {
                var name = keys.FirstOrDefault(k => string.Equals(k, item.Key.ToString(), StringComparison.OrdinalIgnoreCase))
                    ?? throw Problem($"{at}.{item.Key}", $"a {kind} backend has no such key; expected one of {string.Join(", ", keys)}");
                if (name == "Type")
                {
                    continue;
                }

                var keyAt = $"{at}.{name}";
                var special = ProfileOnlyKeys.FirstOrDefault(k => k.Kinds.Contains(kind) && k.Key == name);
                var setting = special?.Setting ?? name;
                if (givenBy.TryGetValue(setting, out var other))
                {
                    throw Problem(keyAt, $"{other} gives the {setting} already; keep one of the two");
                }

                values[setting] = Bind(setting, special is null ? item.Value : special.Read(this, item.Value, keyAt), keyAt);
                givenBy[setting] = name;
            }

            var missing = _parameters.MandatoryOf(kind).FirstOrDefault(parameter => !values.ContainsKey(parameter));
            if (missing is not null)
            {
                var key = KeyFor(kind, missing);
                throw Problem($"{at}.{key}", $"a {kind} backend needs {key}");
            }

            return Build(kind, values, givenBy.ToDictionary(g => g.Key, g => $"{at}.{g.Value}", StringComparer.OrdinalIgnoreCase), at);
        }

        /// <summary>The profile key that gives a setting: its own name, or the key read into it (DkimPrivateKeyEnv for DkimPrivateKey).</summary>
        private static string KeyFor(MailBackendKind kind, string setting) =>
            ProfileOnlyKeys.FirstOrDefault(k => k.Kinds.Contains(kind) && k.Setting == setting)?.Key ?? setting;

        /// <param name="keyOf">Where each setting was given, to name it when the recipe refuses its value.</param>
        /// <param name="entryAt">The entry (Backends[0]) a setting missing from it is named under; null for a top-level composite.</param>
        private MailBackend Build(MailBackendKind kind, Dictionary<string, object?> values, Dictionary<string, string> keyOf, string? entryAt = null)
        {
            try
            {
                return BackendRecipes.For(kind).Build(values, ResolvePath, _warn, _dkimSigners);
            }
            catch (BackendSettingException ex)
            {
                var at = keyOf.TryGetValue(ex.Setting, out var given) ? given
                    : entryAt is null ? ex.Setting
                    : $"{entryAt}.{KeyFor(kind, ex.Setting)}";
                throw Problem(at, ex.Message);
            }
        }

        private object? Bind(string parameter, object? value, string at)
        {
            try
            {
                return _parameters.Bind(parameter, value);
            }
            catch (ArgumentException ex)
            {
                throw Problem(at, ex.Message);
            }
        }

        private string ResolvePath(string path) =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_file))!, path));

        private PSCredential CredentialFromEnvironment(object? value, string at)
        {
            if (value is not Hashtable table || table.Count != 2 || !table.ContainsKey("UserNameEnv") || !table.ContainsKey("PasswordEnv"))
            {
                throw Problem(at,
                    "a credential is never written in the file; expected @{ UserNameEnv = 'NAME_OF_USER_VARIABLE'; PasswordEnv = " +
                        "'NAME_OF_PASSWORD_VARIABLE' } or CredentialFile = './file.clixml'");
            }

            var user = Required(table["UserNameEnv"]?.ToString(), at + ".UserNameEnv");
            var password = SecretFromEnvironment(table["PasswordEnv"], at + ".PasswordEnv");
            return new PSCredential(user, password);
        }

        private SecureString SecretFromEnvironment(object? variable, string at)
        {
            var secure = new SecureString();
            foreach (var c in Required(variable?.ToString(), at))
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        private string Required(string? variable, string at)
        {
            if (string.IsNullOrEmpty(variable))
            {
                throw Problem(at, "expected the name of an environment variable");
            }

            var value = Environment.GetEnvironmentVariable(variable!);
            if (string.IsNullOrEmpty(value))
            {
                throw Problem(at, $"the environment variable '{variable}' is not set");
            }

            return value!;
        }

        private PSCredential CredentialFromFile(object? path, string at)
        {
            if (string.IsNullOrEmpty(path?.ToString()))
            {
                throw Problem(at, "expected the path of a credential file written by Export-Clixml");
            }

            var full = ResolvePath(path!.ToString());
            if (!File.Exists(full))
            {
                throw Problem(at, $"the credential file '{full}' does not exist; write one with Get-Credential | Export-Clixml '{full}'");
            }

            try
            {
                return _importCredential(full);
            }
            catch (Exception ex) when (ex is not ProfileException)
            {
                throw Problem(at, $"'{full}' does not hold a credential written by Export-Clixml: {ex.Message}");
            }
        }

        private void RejectUnknownEnvironmentKeys(Hashtable settings)
        {
            var unknown = settings.Keys.Cast<object>().Select(k => k.ToString() ?? string.Empty)
                .FirstOrDefault(k => !EnvironmentKeys.Contains(k, StringComparer.OrdinalIgnoreCase));
            if (unknown is not null)
            {
                throw Problem(unknown, $"an environment has no such key; expected one of {string.Join(", ", EnvironmentKeys)}");
            }
        }

        private ProfileException Problem(string? key, string problem) => new ProfileException(_file, _environment, key, problem);

        /// <summary>A profile key that is not simply the New-MailBackend parameter of the same name.</summary>
        private sealed class ProfileOnlyKey
        {
            public ProfileOnlyKey(string key, string setting, Func<MailProfile, object?, string, object?> read, params MailBackendKind[] kinds)
            {
                Kinds = kinds;
                Key = key;
                Setting = setting;
                Read = read;
            }

            /// <summary>The backend types that take the key (a token key, say, for every kind that signs in).</summary>
            public IReadOnlyList<MailBackendKind> Kinds { get; }

            public string Key { get; }

            /// <summary>The New-MailBackend parameter the key gives.</summary>
            public string Setting { get; }

            /// <summary>Reads the key's value (profile, value, where it stands) into the parameter's value.</summary>
            public Func<MailProfile, object?, string, object?> Read { get; }
        }
    }
}
