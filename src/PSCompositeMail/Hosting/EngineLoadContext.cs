using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using PSCompositeMail.Platform;

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
        /// <summary>"RTR": the first bytes of a ReadyToRun image's native header.</summary>
        private const uint ReadyToRunSignature = 0x00525452;

        private static readonly object Gate = new object();
        private static EngineLoadContext? _instance;
        private readonly string _folder;
        private readonly (string Folder, Machine Machine)? _images;
        private readonly HashSet<string> _platform;

        private EngineLoadContext(string folder)
        {
            _folder = folder;
            _images = ImageTarget is { } target ? (Path.Combine(folder, target.Rid), target.Machine) : null;
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

            if (ImageOf(name, il) is { } image)
            {
                try
                {
                    return LoadFromAssemblyPath(image);
                }
                catch (Exception ex) when (ex is BadImageFormatException || ex is IOException)
                {
                    // Damaged past what ImageOf reads (its code): the IL beside it is the same assembly, and loads when the
                    // runtime refused the image before taking it (an image cut short past its metadata, for one).
                }
            }

            return LoadFromAssemblyPath(il);
        }

        /// <summary>
        /// The image of <paramref name="name"/> in bin/&lt;rid&gt;/ when it can stand for <paramref name="il"/>: a regular file,
        /// ReadyToRun code for this OS and architecture, made from this IL (crossgen2 keeps the IL's metadata, module
        /// version id included). Anything else there (stale, foreign, for another platform, damaged, a pipe) is passed
        /// over for the IL before the runtime sees it: a load context that failed to load an assembly keeps failing
        /// for that name, so what is wrong must be found before the load.
        /// </summary>
        private string? ImageOf(string name, string il)
        {
            if (_images is not { } images)
            {
                return null;
            }

            var image = Path.Combine(images.Folder, name + ".dll");
            try
            {
                return File.Exists(image) && RegularFile.WhyNot(image) is null && ReadyToRunModule(image, images.Machine) is { } module &&
                    module == ModuleVersionId(il) ? image : null;
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                // Only a probe: whatever a damaged file makes the reader throw (overflows, lengths past 2 GB...), the IL
                // is the answer.
                return null;
            }
        }

        /// <summary>The module version id of a ReadyToRun image for <paramref name="machine"/>; null for any other file.</summary>
        private static Guid? ReadyToRunModule(string path, Machine machine)
        {
            using var file = File.OpenRead(path);
            using var image = new PEReader(file);
            var native = image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory;
            if (image.PEHeaders.CoffHeader.Machine != machine || native is not { Size: >= 4 } header ||
                BitConverter.ToUInt32(image.GetSectionData(header.RelativeVirtualAddress).GetContent(0, 4).ToArray(), 0) != ReadyToRunSignature)
            {
                return null;
            }

            return ModuleVersionId(image);
        }

        private static Guid ModuleVersionId(string path)
        {
            using var file = File.OpenRead(path);
            using var assembly = new PEReader(file);
            return ModuleVersionId(assembly);
        }

        private static Guid ModuleVersionId(PEReader assembly)
        {
            var metadata = assembly.GetMetadataReader();
            return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
        }

        /// <summary>
        /// The runtime identifier of this OS and process architecture (linux-x64, win-x64, osx-arm64...) and the machine a
        /// ReadyToRun image for it declares; null where the build makes no images.
        /// </summary>
        private static (string Rid, Machine Machine)? ImageTarget
        {
            get
            {
                // crossgen2 marks an image for another OS than Windows by XOR-ing its machine with that OS's value.
                var (os, mark) = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? ("win", 0)
                    : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? ("osx", 0x4644)
                    : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? ("linux", 0x7B79)
                    : (null, 0);
                var (architecture, machine) = RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.X64 => ("x64", (int)Machine.Amd64),
                    Architecture.Arm64 => ("arm64", (int)Machine.Arm64),
                    _ => (null, 0),
                };
                return os is null || architecture is null ? null : (os + "-" + architecture, (Machine)(machine ^ mark));
            }
        }
    }
}
