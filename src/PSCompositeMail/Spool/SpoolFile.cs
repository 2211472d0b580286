using System.IO;

namespace PSCompositeMail.Spool
{
    /// <summary>
    /// Guards every opening of a spool file. A named pipe (FIFO) in place of an .eml or .meta blocks open() until
    /// a writer comes, and no Stop() can end that; a device never ends: <see cref="Platform.RegularFile"/> refuses
    /// them before they are opened, as are a folder, a link and an empty file (the spool writes none of them: an .eml
    /// holds at least its headers, a .meta its JSON). Something swapped in between this check and the open is not guarded against:
    /// the spool folder is the owner's alone.
    /// </summary>
    internal static class SpoolFile
    {
        /// <summary>Throws unless <paramref name="path"/> is a regular, non-empty file that is no link.</summary>
        /// <param name="description">How the reason names it ("its .eml", "the metadata file '...'").</param>
        /// <exception cref="FileNotFoundException">Nothing is there.</exception>
        /// <exception cref="InvalidDataException">Something is there that the spool never writes; the message says what.</exception>
        public static void EnsureRegular(string path, string description)
        {
            if (Directory.Exists(path))
            {
                throw new InvalidDataException($"{description} is a folder, not a file");
            }

            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new FileNotFoundException($"{description} does not exist", path);
            }

            if ((info.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                throw new InvalidDataException($"{description} is a link, which the spool never writes");
            }

            if (Platform.RegularFile.WhyNot(path) is { } what)
            {
                throw new InvalidDataException($"{description} is {what}, not a regular file (the spool never writes one)");
            }

            if (info.Length == 0)
            {
                throw new InvalidDataException(
                    $"{description} is empty or not a regular file (a named pipe, device or socket), which the spool never writes");
            }
        }

        /// <summary>True when anything (file, folder, pipe, link) is at <paramref name="path"/>.</summary>
        public static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

        /// <summary>Renames whatever is at <paramref name="source"/>: File.Move refuses a folder.</summary>
        public static void Move(string source, string destination)
        {
            if (Directory.Exists(source))
            {
                Directory.Move(source, destination);
            }
            else
            {
                File.Move(source, destination);
            }
        }
    }
}
