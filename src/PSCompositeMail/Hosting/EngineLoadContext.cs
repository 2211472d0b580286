using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// The module's own load context (PowerShell 7): it serves the engine and the mail libraries from the bin
    /// folder and leaves everything else, this module's public assembly and the framework included, to
    /// PowerShell's context, so the types users see have one identity. An assembly in bin/&lt;rid&gt;/ for the running OS
    /// and process architecture (a ReadyToRun image the build made, linux-x64 for example) is taken before its IL twin
    /// in bin/: the same assembly, with most of its code already compiled.
    /// </summary>
    internal sealed class EngineLoadContext : AssemblyLoadContext
    {
        private static readonly object Gate = new object();
        private static EngineLoadContext? _instance;
        private readonly string _folder;
        private readonly string? _imageFolder;
        private readonly HashSet<string> _platform;

        private EngineLoadContext(string folder)
        {
            _folder = folder;
            _imageFolder = RuntimeIdentifier is { } rid ? Path.Combine(folder, rid) : null;
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
            // This module's public assembly is PowerShell's: one identity for the types users see.
            if (_platform.Contains(name) || name == typeof(EngineLoadContext).Assembly.GetName().Name)
            {
                return null;
            }

            var il = Path.Combine(_folder, name + ".dll");
            if (!File.Exists(il))
            {
                return null;
            }

            if (_imageFolder is not null && IsImageOf(Path.Combine(_imageFolder, name + ".dll"), il) is { } image)
            {
                try
                {
                    return LoadFromAssemblyPath(image);
                }
                catch (Exception ex) when (ex is BadImageFormatException || ex is IOException)
                {
                    // Damaged past its metadata: the IL beside it is the same assembly.
                }
            }

            return LoadFromAssemblyPath(il);
        }

        /// <summary>
        /// <paramref name="image"/> when it was made from <paramref name="il"/>: crossgen2 keeps the IL's metadata, module
        /// version id included, so a stale image (left by another build, or beside a library patched by hand), a foreign
        /// or a damaged file is passed over for the IL.
        /// </summary>
        private static string? IsImageOf(string image, string il)
        {
            try
            {
                return File.Exists(image) && ModuleVersionId(image) == ModuleVersionId(il) ? image : null;
            }
            catch (Exception ex) when (ex is BadImageFormatException || ex is IOException || ex is UnauthorizedAccessException ||
                ex is InvalidOperationException)
            {
                return null;
            }
        }

        private static Guid ModuleVersionId(string path)
        {
            using var file = File.OpenRead(path);
            using var headers = new PEReader(file);
            var metadata = headers.GetMetadataReader();
            return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
        }

        /// <summary>
        /// The runtime identifier of this OS and process architecture (linux-x64, win-x64, osx-arm64...); null for an
        /// OS the build makes no images for.
        /// </summary>
        private static string? RuntimeIdentifier
        {
            get
            {
                var os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux"
                    : null;
                return os is null ? null : os + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            }
        }
    }
}
