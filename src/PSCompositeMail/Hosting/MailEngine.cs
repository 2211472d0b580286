using System;
using System.Reflection;

namespace PSCompositeMail.Hosting
{
    /// <summary>Finds the engine once per process: through the module's load context when imported, by plain name otherwise (tests).</summary>
    internal static class MailEngine
    {
        public const string AssemblyName = "PSCompositeMail.Engine";
        private const string TypeName = "PSCompositeMail.Engine.MailEngineImplementation";
        private static readonly object Gate = new object();
        private static Func<Assembly>? _loader;
        private static IMailEngine? _instance;

        public static IMailEngine Instance
        {
            get
            {
                lock (Gate)
                {
                    return _instance ??= Create((_loader ?? LoadByName)());
                }
            }
        }

        /// <summary>Set by the module initialiser before first use.</summary>
        public static void UseLoader(Func<Assembly> loader)
        {
            lock (Gate)
            {
                _loader = loader;
                _instance = null;
            }
        }

        private static Assembly LoadByName() => Assembly.Load(new AssemblyName(AssemblyName));

        private static IMailEngine Create(Assembly engine) =>
            (IMailEngine)Activator.CreateInstance(engine.GetType(TypeName, throwOnError: true)!)!;
    }
}
