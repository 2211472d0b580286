using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Security;

namespace PSCompositeMail.Profiles
{
    /// <summary>One backend as a profile file describes it: the New-MailBackend switch and its parameters.</summary>
    internal sealed class BackendSpec
    {
        public BackendSpec(string type, Dictionary<string, object?> parameters, IReadOnlyList<BackendSpec> members)
        {
            Type = type;
            Parameters = parameters;
            Members = members;
        }

        public string Type { get; }

        public Dictionary<string, object?> Parameters { get; }

        /// <summary>For a composite: the backends inside it.</summary>
        public IReadOnlyList<BackendSpec> Members { get; }
    }

    /// <summary>
    /// Reads a PowerShell data file of environments (Development, Production, ...) each naming its backends,
    /// and turns one environment into backend specifications. Secrets never stand in the file: a credential
    /// comes from environment variables or an Export-Clixml file, a token from an environment variable.
    /// </summary>
    internal sealed class MailProfile
    {
        private static readonly string[] EnvironmentKeys = { "Backends", "Policy", "Name" };
        private static readonly string[] BackendTypes = { "Smtp", "Console", "Directory", "Memory", "Null", "Composite" };
        private readonly string _file;
        private readonly Func<string, IReadOnlyCollection<string>> _parametersOf;
        private readonly Func<string, PSCredential> _importCredential;
        private readonly Func<string, string?> _environmentVariable;

        /// <param name="parametersOf">The New-MailBackend parameters a backend type takes.</param>
        /// <param name="importCredential">Reads an Export-Clixml credential file (needs a runspace).</param>
        public MailProfile(string file, Func<string, IReadOnlyCollection<string>> parametersOf, Func<string, PSCredential> importCredential, Func<string, string?>? environmentVariable = null)
        {
            _file = file;
            _parametersOf = parametersOf;
            _importCredential = importCredential;
            _environmentVariable = environmentVariable ?? Environment.GetEnvironmentVariable;
        }

        public static Hashtable Parse(string file)
        {
            var ast = Parser.ParseFile(file, out _, out var errors);
            if (errors.Length > 0)
            {
                throw new ProfileException(file, null, null, $"it is not a valid PowerShell data file: {errors[0].Message} (line {errors[0].Extent.StartLineNumber})");
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
                throw new ProfileException(file, null, null, "it may hold only constant values (no commands, variables or script blocks): " + ex.Message);
            }
        }

        /// <summary>The backends of one environment; when it sets a Policy, one composite holding them.</summary>
        public IReadOnlyList<BackendSpec> Read(Hashtable environments, string environment)
        {
            var key = environments.Keys.Cast<object>().Select(k => k.ToString()).FirstOrDefault(k => string.Equals(k, environment, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                throw new ProfileException(_file, environment, null, $"there is no such environment; the file has {string.Join(", ", environments.Keys.Cast<object>())}");
            }

            if (environments[key] is not Hashtable settings)
            {
                throw new ProfileException(_file, key, null, "an environment must be a hashtable such as @{ Backends = @(...) }");
            }

            RejectUnknownEnvironmentKeys(settings, key);
            var backends = ReadBackends(settings["Backends"], key, "Backends");
            if (!settings.ContainsKey("Policy"))
            {
                return backends;
            }

            var composite = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["Policy"] = settings["Policy"],
                ["Name"] = settings["Name"] ?? key,
            };
            return new[] { new BackendSpec("Composite", composite, backends) };
        }

        private List<BackendSpec> ReadBackends(object? value, string environment, string where)
        {
            var entries = value switch
            {
                object[] array => array,
                Hashtable single => new object[] { single },
                _ => throw new ProfileException(_file, environment, where, "expected a list of backends such as @( @{ Type = 'Console' } )"),
            };
            return entries.Select((entry, i) => ReadBackend(entry, environment, $"{where}[{i}]")).ToList();
        }

        private BackendSpec ReadBackend(object? entry, string environment, string where)
        {
            if (entry is not Hashtable table)
            {
                throw new ProfileException(_file, environment, where, "each backend must be a hashtable such as @{ Type = 'Smtp'; SmtpServer = 'relay.example.com' }");
            }

            var type = table["Type"]?.ToString();
            var canonical = BackendTypes.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase))
                ?? throw new ProfileException(_file, environment, where + ".Type", $"'{type}' is not a backend type; expected one of {string.Join(", ", BackendTypes)}");
            var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var members = new List<BackendSpec>();
            var accepted = _parametersOf(canonical);
            foreach (DictionaryEntry item in table)
            {
                var name = item.Key.ToString() ?? string.Empty;
                var at = $"{where}.{name}";
                switch (name.ToLowerInvariant())
                {
                    case "type":
                        break;
                    case "path" when canonical == "Directory":
                        parameters["Directory"] = ResolvePath(item.Value?.ToString());
                        break;
                    case "protocollog" when canonical == "Smtp":
                        parameters["ProtocolLog"] = ResolvePath(item.Value?.ToString());
                        break;
                    case "credential" when canonical == "Smtp":
                        parameters["Credential"] = CredentialFromEnvironment(item.Value, environment, at);
                        break;
                    case "credentialfile" when canonical == "Smtp":
                        parameters["Credential"] = CredentialFromFile(item.Value?.ToString(), environment, at);
                        break;
                    case "oauthtokenenv" when canonical == "Smtp":
                        parameters["OAuthToken"] = SecretFromEnvironment(item.Value?.ToString(), environment, at);
                        break;
                    case "backends" when canonical == "Composite":
                        members.AddRange(ReadBackends(item.Value, environment, at));
                        break;
                    default:
                        if (!accepted.Contains(name, StringComparer.OrdinalIgnoreCase) || string.Equals(name, canonical, StringComparison.OrdinalIgnoreCase))
                        {
                            var extra = canonical switch
                            {
                                "Smtp" => new[] { "Credential", "CredentialFile", "OAuthTokenEnv" },
                                "Directory" => new[] { "Path" },
                                "Composite" => new[] { "Backends" },
                                _ => Array.Empty<string>(),
                            };
                            var expected = accepted.Where(p => !string.Equals(p, canonical, StringComparison.OrdinalIgnoreCase) && !string.Equals(p, "Directory", StringComparison.OrdinalIgnoreCase)).Concat(extra).OrderBy(p => p);
                            throw new ProfileException(_file, environment, at, $"a {canonical} backend has no such key; expected one of Type, {string.Join(", ", expected)}");
                        }

                        parameters[name] = item.Value;
                        break;
                }
            }

            if (canonical == "Directory" && !parameters.ContainsKey("Directory"))
            {
                throw new ProfileException(_file, environment, where + ".Path", "a Directory backend needs Path, the folder to write .eml files to");
            }

            if (canonical == "Composite" && members.Count == 0)
            {
                throw new ProfileException(_file, environment, where + ".Backends", "a Composite backend needs Backends = @( ... )");
            }

            return new BackendSpec(canonical, parameters, members);
        }

        private string? ResolvePath(string? path) =>
            path is null ? null : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_file))!, path));

        private PSCredential CredentialFromEnvironment(object? value, string environment, string at)
        {
            if (value is not Hashtable table || table.Count != 2 || !table.ContainsKey("UserNameEnv") || !table.ContainsKey("PasswordEnv"))
            {
                throw new ProfileException(_file, environment, at,
                    "a credential is never written in the file; expected @{ UserNameEnv = 'NAME_OF_USER_VARIABLE'; PasswordEnv = 'NAME_OF_PASSWORD_VARIABLE' } or CredentialFile = './file.clixml'");
            }

            var user = Required(table["UserNameEnv"]?.ToString(), environment, at + ".UserNameEnv");
            var password = SecretFromEnvironment(table["PasswordEnv"]?.ToString(), environment, at + ".PasswordEnv");
            return new PSCredential(user, password);
        }

        private SecureString SecretFromEnvironment(string? variable, string environment, string at)
        {
            var secure = new SecureString();
            foreach (var c in Required(variable, environment, at))
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        private string Required(string? variable, string environment, string at)
        {
            if (string.IsNullOrEmpty(variable))
            {
                throw new ProfileException(_file, environment, at, "expected the name of an environment variable");
            }

            var value = _environmentVariable(variable!);
            if (string.IsNullOrEmpty(value))
            {
                throw new ProfileException(_file, environment, at, $"the environment variable '{variable}' is not set");
            }

            return value!;
        }

        private PSCredential CredentialFromFile(string? path, string environment, string at)
        {
            var full = ResolvePath(path) ?? throw new ProfileException(_file, environment, at, "expected the path of a credential file written by Export-Clixml");
            if (!File.Exists(full))
            {
                throw new ProfileException(_file, environment, at, $"the credential file '{full}' does not exist; write one with Get-Credential | Export-Clixml '{full}'");
            }

            try
            {
                return _importCredential(full);
            }
            catch (Exception ex) when (ex is not ProfileException)
            {
                throw new ProfileException(_file, environment, at, $"'{full}' does not hold a credential written by Export-Clixml: {ex.Message}");
            }
        }

        private void RejectUnknownEnvironmentKeys(Hashtable settings, string environment)
        {
            var unknown = settings.Keys.Cast<object>().Select(k => k.ToString() ?? string.Empty)
                .FirstOrDefault(k => !EnvironmentKeys.Contains(k, StringComparer.OrdinalIgnoreCase));
            if (unknown is not null)
            {
                throw new ProfileException(_file, environment, unknown, $"an environment has no such key; expected one of {string.Join(", ", EnvironmentKeys)}");
            }
        }
    }

    /// <summary>Something in a profile file is wrong; the message names the file, the environment and the key.</summary>
    public sealed class ProfileException : Exception
    {
        internal ProfileException(string file, string? environment, string? key, string problem)
            : base(Describe(file, environment, key, problem))
        {
            File = file;
            Environment = environment;
            Key = key;
        }

        public string File { get; }

        public string? Environment { get; }

        public string? Key { get; }

        private static string Describe(string file, string? environment, string? key, string problem)
        {
            var where = new List<string> { $"'{file}'" };
            if (environment is not null)
            {
                where.Add($"environment '{environment}'");
            }

            if (key is not null)
            {
                where.Add($"key '{key}'");
            }

            return $"Mail profile {string.Join(", ", where)}: {problem}";
        }
    }
}
