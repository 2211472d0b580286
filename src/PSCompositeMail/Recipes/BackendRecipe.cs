using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using PSCompositeMail.Backends;
using PSCompositeMail.Signing;

namespace PSCompositeMail.Recipes
{
    /// <summary>
    /// How one kind of backend is made from named values: New-MailBackend's bound parameters, or the keys of a
    /// profile entry. Both go through a recipe, so a name cannot mean one thing on the command line and another in
    /// a profile file. The recipes, one line per setting, are in <see cref="BackendRecipes"/>.
    /// </summary>
    internal abstract class BackendRecipe
    {
        /// <summary>The names this kind takes; each is a New-MailBackend parameter of the kind's parameter set.</summary>
        public abstract IEnumerable<string> Settings { get; }

        /// <summary>Makes the backend. A value that does not fit throws <see cref="BackendSettingException"/> naming its setting.</summary>
        /// <param name="values">Values by setting name, as New-MailBackend's parameter binding gives them.</param>
        /// <param name="fullPath">Turns a path as given into a full path: against the current location on the command line, against the file in a
        /// profile.</param>
        /// <param name="warn">Where a warning about the settings goes (the caller's warning stream).</param>
        /// <param name="dkimSigners">The engine, which reads and checks a DKIM key.</param>
        public abstract MailBackend Build(
            IEnumerable<KeyValuePair<string, object?>> values, Func<string, string> fullPath, Action<string> warn, IDkimSignerFactory dkimSigners);
    }

    /// <summary>A recipe whose settings are applied, one by one, to a <typeparamref name="TDraft"/> that then becomes the backend.</summary>
    /// <remarks>Enumerable only so that the settings can be listed in a collection initializer.</remarks>
    internal sealed class BackendRecipe<TDraft> : BackendRecipe, IEnumerable
        where TDraft : BackendDraft, new()
    {
        private readonly Dictionary<string, Action<TDraft, object?>> _settings = new Dictionary<string, Action<TDraft,
            object?>>(StringComparer.OrdinalIgnoreCase);
        private readonly Func<TDraft, MailBackend> _build;

        public BackendRecipe(Func<TDraft, MailBackend> build)
        {
            _build = build;
            Add("Name", (TDraft draft, string name) => draft.Name = name);
        }

        public override IEnumerable<string> Settings => _settings.Keys;

        /// <summary>One setting: its name, the type binding gives its value, and what it sets on the draft.</summary>
        public void Add<T>(string name, Action<TDraft, T> apply) =>
            _settings.Add(name, (draft, value) => apply(draft, value is T typed ? typed
                : (T)LanguagePrimitives.ConvertTo(value, typeof(T), CultureInfo.InvariantCulture)));

        public override MailBackend Build(
            IEnumerable<KeyValuePair<string, object?>> values, Func<string, string> fullPath, Action<string> warn, IDkimSignerFactory dkimSigners)
        {
            var draft = new TDraft { FullPath = fullPath, Warn = warn, DkimSigners = dkimSigners };
            foreach (var value in values)
            {
                if (!_settings.TryGetValue(value.Key, out var apply))
                {
                    // Only a New-MailBackend parameter without its line in BackendRecipes gets here: a bug, not bad input.
                    throw new InvalidOperationException(
                        $"'{value.Key}' is not a setting of a {typeof(TDraft).Name}; add its line to BackendRecipes.");
                }

                try
                {
                    apply(draft, value.Value);
                }
                catch (Exception ex) when (ex is ArgumentException or PSInvalidCastException && ex is not BackendSettingException)
                {
                    throw new BackendSettingException(value.Key, ex.Message, ex);
                }
            }

            return _build(draft);
        }

        IEnumerator IEnumerable.GetEnumerator() => _settings.Keys.GetEnumerator();
    }

    /// <summary>What a backend's settings have set so far; each kind with settings of its own extends it.</summary>
    internal class BackendDraft
    {
        public string? Name { get; set; }

        public Func<string, string> FullPath { get; set; } = path => path;

        public Action<string> Warn { get; set; } = _ => { };

        /// <summary>The engine, which reads and checks a DKIM key as the backend is made.</summary>
        public IDkimSignerFactory DkimSigners { get; set; } = null!;
    }

    /// <summary>A value that does not fit the setting it was given for; <see cref="Setting"/> names it.</summary>
    internal sealed class BackendSettingException : ArgumentException
    {
        public BackendSettingException(string setting, string message, Exception? innerException = null, string? errorId = null,
            ErrorCategory category = ErrorCategory.InvalidArgument)
            : base(message, innerException)
        {
            Setting = setting;
            ErrorId = errorId ?? "Invalid" + setting;
            Category = category;
        }

        public string Setting { get; }

        /// <summary>The stable id of the ErrorRecord New-MailBackend writes for it.</summary>
        public string ErrorId { get; }

        /// <summary>InvalidArgument, unless a file the setting names is missing (ObjectNotFound) or unreadable (ReadError).</summary>
        public ErrorCategory Category { get; }
    }
}
