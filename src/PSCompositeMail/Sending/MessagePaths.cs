using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Messages;
using PSCompositeMail.Platform;

namespace PSCompositeMail.Sending
{
    /// <summary>Turns the paths a message names (attachments, inline images, .eml files) into files; none found is an error for that
    /// message.</summary>
    internal sealed class MessagePaths
    {
        private readonly ISendHost _host;

        public MessagePaths(ISendHost host)
        {
            _host = host;
        }

        public IReadOnlyList<string> Resolve(IEnumerable<string>? paths, string parameter)
        {
            var resolved = new List<string>();
            // An empty CSV cell means no file, not the current folder.
            foreach (var path in (paths ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)))
            {
                HeaderValueGuard.RejectLineBreaks(path, parameter);
                IReadOnlyList<string> matches;
                try
                {
                    matches = LiteralFile(path) ?? _host.ResolveProviderPath(path);
                }
                catch (ItemNotFoundException ex)
                {
                    throw new MessageValidationException($"The file '{path}' given to -{parameter} was not found.", parameter, path,
                        MessageProblem.NotFound, ex);
                }
                catch (Exception ex) when (ex is SessionStateException or WildcardPatternException or NotSupportedException)
                {
                    // A drive that does not exist, a broken wildcard or Env:PATH in one row must not stop the others.
                    throw new MessageValidationException($"'{path}' given to -{parameter} is not a usable file path: {ex.Message.TrimEnd('.')}.",
                        parameter, path, MessageProblem.InvalidValue, ex);
                }

                if (matches.Count == 0)
                {
                    throw new MessageValidationException($"No file matches '{path}' given to -{parameter}.", parameter, path,
                        MessageProblem.NotFound);
                }

                foreach (var match in matches)
                {
                    if (RegularFile.WhyNot(match) is { } what)
                    {
                        throw new MessageValidationException(
                            $"'{match}' given to -{parameter} is {what}, not a regular file: only files can be attached or sent.", parameter, path,
                            MessageProblem.NotReadable);
                    }
                }

                resolved.AddRange(matches);
            }

            return resolved;
        }

        /// <summary>
        /// A path with wildcard characters that names an existing file as it is written ('rep[1].log', or a FileInfo
        /// given to -Attachments): that file, never the others it matches as a pattern ('rep1.log').
        /// </summary>
        private IReadOnlyList<string>? LiteralFile(string path) =>
            WildcardPattern.ContainsWildcardCharacters(path) && _host.GetItem(path)?.BaseObject is System.IO.FileInfo file
                ? new[] { file.FullName }
                : null;

        /// <summary>A path that must name exactly one file (no wildcard matching several).</summary>
        /// <param name="what">What the path is for, as the error starts: "The inline attachment 'logo'", "-SigningCertificatePath".</param>
        public string ResolveOne(string path, string parameter, string what)
        {
            var files = Resolve(new[] { path }, parameter);
            if (files.Count != 1)
            {
                throw new MessageValidationException($"{what} must name exactly one file; '{path}' matches {files.Count}.", parameter, path);
            }

            return files[0];
        }

        /// <summary>A hashtable of content id to path, each naming exactly one file.</summary>
        public IReadOnlyList<KeyValuePair<string, string>>? ResolveInline(IDictionary? inline, string parameter)
        {
            if (inline is null)
            {
                return null;
            }

            var resolved = new List<KeyValuePair<string, string>>();
            foreach (DictionaryEntry entry in inline)
            {
                var contentId = entry.Key?.ToString() ?? string.Empty;
                var path = entry.Value?.ToString() ?? string.Empty;
                resolved.Add(new KeyValuePair<string, string>(contentId, ResolveOne(path, parameter, $"The inline attachment '{contentId}'")));
            }

            return resolved;
        }
    }
}
