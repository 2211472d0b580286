using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace PSCompositeMail.Hosting
{
    /// <summary>
    /// Runs when PowerShell imports the module. The engine and MailKit, MimeKit and BouncyCastle sit in the
    /// module's bin folder: on PowerShell 7 they load into the module's own AssemblyLoadContext, so a session
    /// where another module already loaded other versions of them works; on Windows PowerShell 5.1, which has
    /// no load contexts nor binding redirects for modules, an AssemblyResolve handler serves them from bin.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string BinPath = Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "bin");

        public void OnImport()
        {
            if (IsCoreClr)
            {
                MailEngine.UseLoader(() => EngineLoadContext.Load(BinPath, MailEngine.AssemblyName));
            }
            else
            {
                AppDomain.CurrentDomain.AssemblyResolve += ResolveFromBin;
                MailEngine.UseLoader(() => Assembly.LoadFrom(Path.Combine(BinPath, MailEngine.AssemblyName + ".dll")));
            }
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (!IsCoreClr)
            {
                AppDomain.CurrentDomain.AssemblyResolve -= ResolveFromBin;
            }
        }

        private static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

        /// <summary>Serves any version asked for by the one the module ships: the binding redirect Windows PowerShell lacks.</summary>
        private static Assembly? ResolveFromBin(object? sender, ResolveEventArgs args)
        {
            var candidate = Path.Combine(BinPath, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
        }
    }
}
