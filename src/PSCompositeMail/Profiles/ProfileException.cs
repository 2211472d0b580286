using System;
using System.Collections.Generic;

namespace PSCompositeMail.Profiles
{
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
