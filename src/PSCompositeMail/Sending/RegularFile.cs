using System;
using System.Management.Automation;

namespace PSCompositeMail.Sending
{
    /// <summary>
    /// Tells a regular file from what only looks like one. Opening a named pipe (FIFO) blocks until a writer comes,
    /// and no Stop() can end that; a device never ends. .NET Standard cannot tell them apart, but PowerShell 7's
    /// file-system provider adds each item's stat on Unix (UnixStat) and a link's final target (ResolvedTarget).
    /// Where it does not (Windows), every item that is not a folder counts as a file.
    /// </summary>
    internal static class RegularFile
    {
        /// <summary>What the item at <paramref name="path"/> is when it is not a regular file ("a named pipe (FIFO)"), or null.</summary>
        /// <param name="getItem">The provider's item for a literal path (Get-Item -Force -LiteralPath), or null when there is none.</param>
        public static string? WhyNot(string path, Func<string, PSObject?> getItem)
        {
            var item = getItem(path);
            if (item is null)
            {
                return null;
            }

            // A link is judged by what it finally points to; one whose target is no file at all (/dev/stdin on a
            // pipe leads to "pipe:[1234]") is named by that target.
            if (item.Properties["ResolvedTarget"]?.Value is string target && !string.Equals(target, path, StringComparison.Ordinal))
            {
                if (getItem(target) is not { } resolved)
                {
                    return $"a link to '{target}'";
                }

                item = resolved;
            }

            if (item.Properties["PSIsContainer"]?.Value is true)
            {
                return "a directory";
            }

            var stat = item.Properties["UnixStat"]?.Value;
            var type = stat is null ? null : PSObject.AsPSObject(stat).Properties["ItemType"]?.Value?.ToString();
            return type switch
            {
                null or "File" => null,
                "NamedPipe" => "a named pipe (FIFO)",
                "CharacterDevice" => "a character device",
                "BlockDevice" => "a block device",
                "Socket" => "a socket",
                _ => $"an item of type {type}",
            };
        }
    }
}
