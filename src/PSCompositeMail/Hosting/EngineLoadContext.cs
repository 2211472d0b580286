using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// The module's own load context (PowerShell 7): it serves the engine and the mail libraries from the bin
    /// folder and leaves everything else, this module's public assembly and the framework included, to
    /// PowerShell's context, so the types users see have one identity.
    /// </summary>
    internal sealed class EngineLoadContext : AssemblyLoadContext
    {
        private static readonly object Gate = new object();
        private static EngineLoadContext? _instance;
        private readonly string _folder;
        private readonly HashSet<string> _platform;

        private EngineLoadContext(string folder)
        {
            _folder = folder;
            var trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? string.Empty;
            _platform = new HashSet<string>(
                trusted.Split(Path.PathSeparator).Where(p => p.Length > 0).Select(Path.GetFileNameWithoutExtension),
                StringComparer.OrdinalIgnoreCase);
        }

        public static Assembly Load(string folder, string assemblyName)
        {
            lock (Gate)
            {
                _instance ??= new EngineLoadContext(folder);
            }

            return _instance.LoadFromAssemblyName(new AssemblyName(assemblyName));
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name ?? string.Empty;
            var candidate = Path.Combine(_folder, name + ".dll");
            // This module's public assembly is PowerShell's: one identity for the types users see.
            if (_platform.Contains(name) || name == typeof(EngineLoadContext).Assembly.GetName().Name || !File.Exists(candidate))
            {
                return null;
            }

            return LoadFromAssemblyPath(candidate);
        }
    }
}
