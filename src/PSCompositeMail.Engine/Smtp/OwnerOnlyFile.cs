using System;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace PSCompositeMail.Engine.Smtp
{
    /// <summary>
    /// Opens a file for appending that only its owner can read (0600 on Unix): created so from the start, since a
    /// reader who opened it in the moment before a chmod could keep reading. On Windows a new file inherits the
    /// folder's ACL, which is what users expect there.
    /// </summary>
    internal static class OwnerOnlyFile
    {
        private const int OwnerReadWrite = 0x180;

        public static FileStream OpenAppend(string path)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            }

            // FileStreamOptions.UnixCreateMode and File.SetUnixFileMode (.NET 7+) are not in netstandard2.0, the target
            // that keeps Windows PowerShell 5.1 loading this assembly: they are reached by reflection.
            var core = typeof(FileStream).Assembly;
            var modeType = core.GetType("System.IO.UnixFileMode");
            var optionsType = core.GetType("System.IO.FileStreamOptions");
            var setMode = modeType is null ? null : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
            var open = optionsType is null ? null : typeof(FileStream).GetConstructor(new[] { typeof(string), optionsType });
            if (setMode is null || open is null)
            {
                throw new PlatformNotSupportedException($"The protocol log '{path}' cannot be made readable by its owner only on this .NET; PowerShell 7.3 or later can.");
            }

            var ownerOnly = Enum.ToObject(modeType!, OwnerReadWrite);
            var options = Activator.CreateInstance(optionsType!);
            Set(options, "Mode", FileMode.Append);
            Set(options, "Access", FileAccess.Write);
            Set(options, "Share", FileShare.Read);
            Set(options, "UnixCreateMode", ownerOnly);
            try
            {
                if (File.Exists(path))
                {
                    // A log kept from an older run, or made by hand: from now on it is private too.
                    setMode.Invoke(null, new[] { path, ownerOnly });
                }

                return (FileStream)open.Invoke(new[] { path, options });
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }

        private static void Set(object? target, string property, object value) =>
            target!.GetType().GetProperty(property)!.SetValue(target, value);
    }
}
