using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;
using PSCompositeMail.Backends;
using Xunit;

namespace PSCompositeMail.Tests
{
    /// <summary>
    /// The namespaces of PSCompositeMail.dll (its parts) depend on each other only downwards, as the README's
    /// Architecture picture draws them. Read from the compiled IL, so every kind of reference counts: signatures,
    /// base types, attributes, locals, and each type, method and field an instruction names.
    /// </summary>
    public class NamespaceDependencyTests
    {
        private const string RootNamespace = "PSCompositeMail.";
        private static readonly Lazy<NamespaceGraph> Graph = new Lazy<NamespaceGraph>(() => NamespaceGraph.Of(typeof(MailBackend).Assembly.Location));

        [Fact]
        public void Namespaces_form_no_cycle()
        {
            var cycles = Graph.Value.Cycles();

            Assert.True(cycles.Count == 0, "Namespaces that depend on each other:\n" + string.Join("\n", cycles.Select(Graph.Value.Describe)));
        }

        [Fact]
        public void Every_dependency_points_down_the_README_picture()
        {
            var layers = ArchitecturePicture.Layers();
            var upwards = Graph.Value.Edges
                .Where(edge => layers.ContainsKey(edge.From) && layers.ContainsKey(edge.To) && layers[edge.From] <= layers[edge.To])
                .Select(edge =>
                {
                    var where = layers[edge.From] == layers[edge.To] ? "beside" : "above";
                    return $"{edge.From} -> {edge.To} (the picture puts {edge.To} {where} {edge.From}): {edge.Example}";
                })
                .ToList();

            Assert.True(upwards.Count == 0, "Dependencies the README's Architecture picture forbids:\n" + string.Join("\n", upwards));
        }

        [Fact]
        public void The_README_picture_places_every_namespace_once()
        {
            var layers = ArchitecturePicture.Layers();

            Assert.Equal(Graph.Value.Parts.OrderBy(part => part, StringComparer.Ordinal), layers.Keys.OrderBy(part => part, StringComparer.Ordinal));
        }

        /// <param name="Example">One type-to-type reference that makes the edge, so that a failure says where to look.</param>
        private readonly record struct Edge(string From, string To, string Example);

        /// <summary>Which part (namespace below PSCompositeMail) uses which, from the types each one's IL names.</summary>
        private sealed class NamespaceGraph
        {
            private readonly Dictionary<(string From, string To), string> _examples = new Dictionary<(string, string), string>();

            private NamespaceGraph(ModuleDefinition module)
            {
                Parts = new SortedSet<string>(module.Types.Select(PartOf).OfType<string>(), StringComparer.Ordinal);
                foreach (var type in module.GetTypes())
                {
                    var from = PartOf(type);
                    if (from is null)
                    {
                        continue;
                    }

                    foreach (var used in TypesUsedBy(type))
                    {
                        var definition = used as TypeDefinition ?? (used.Scope == module ? used.Resolve() : null);
                        var to = definition?.Module == module ? PartOf(definition) : null;
                        if (to != null && to != from && !_examples.ContainsKey((from, to)))
                        {
                            _examples[(from, to)] = $"{Outermost(type).FullName} uses {Outermost(definition!).FullName}";
                        }
                    }
                }
            }

            public SortedSet<string> Parts { get; }

            public IEnumerable<Edge> Edges => _examples
                .Select(pair => new Edge(pair.Key.From, pair.Key.To, pair.Value))
                .OrderBy(edge => edge.From + " " + edge.To, StringComparer.Ordinal);

            public static NamespaceGraph Of(string assemblyPath)
            {
                using var module = ModuleDefinition.ReadModule(assemblyPath);
                return new NamespaceGraph(module);
            }

            /// <summary>Strongly connected sets of more than one part (Tarjan), each a set of namespaces that reach each other.</summary>
            public List<List<string>> Cycles()
            {
                var index = new Dictionary<string, int>();
                var lowLink = new Dictionary<string, int>();
                var stack = new Stack<string>();
                var cycles = new List<List<string>>();

                void Visit(string part)
                {
                    index[part] = lowLink[part] = index.Count;
                    stack.Push(part);
                    foreach (var next in Edges.Where(edge => edge.From == part).Select(edge => edge.To))
                    {
                        if (!index.ContainsKey(next))
                        {
                            Visit(next);
                            lowLink[part] = Math.Min(lowLink[part], lowLink[next]);
                        }
                        else if (stack.Contains(next))
                        {
                            lowLink[part] = Math.Min(lowLink[part], index[next]);
                        }
                    }

                    if (lowLink[part] == index[part])
                    {
                        var component = new List<string>();
                        string member;
                        do
                        {
                            member = stack.Pop();
                            component.Add(member);
                        }
                        while (member != part);
                        if (component.Count > 1)
                        {
                            cycles.Add(component.OrderBy(name => name, StringComparer.Ordinal).ToList());
                        }
                    }
                }

                foreach (var part in Parts.Where(part => !index.ContainsKey(part)))
                {
                    Visit(part);
                }

                return cycles;
            }

            /// <summary>A cycle's parts and every edge between them, each with one reference that makes it.</summary>
            public string Describe(List<string> cycle) =>
                string.Join(", ", cycle) + ":\n" + string.Join("\n", Edges
                    .Where(edge => cycle.Contains(edge.From) && cycle.Contains(edge.To))
                    .Select(edge => $"  {edge.From} -> {edge.To}: {edge.Example}"));

            private static string? PartOf(TypeDefinition type)
            {
                var name = Outermost(type).Namespace;
                if (!name.StartsWith(RootNamespace, StringComparison.Ordinal))
                {
                    return null;
                }

                var rest = name.Substring(RootNamespace.Length);
                var dot = rest.IndexOf('.');
                return dot < 0 ? rest : rest.Substring(0, dot);
            }

            private static TypeDefinition Outermost(TypeDefinition type)
            {
                while (type.DeclaringType != null)
                {
                    type = type.DeclaringType;
                }

                return type;
            }

            private static IEnumerable<TypeReference> TypesUsedBy(TypeDefinition type)
            {
                var used = new List<TypeReference>();
                void Add(TypeReference? reference) => Flatten(reference, used);
                void AddAttributes(ICustomAttributeProvider provider)
                {
                    foreach (var attribute in provider.CustomAttributes)
                    {
                        Add(attribute.AttributeType);
                        var arguments = attribute.ConstructorArguments
                            .Concat(attribute.Properties.Select(p => p.Argument))
                            .Concat(attribute.Fields.Select(f => f.Argument));
                        foreach (var argument in arguments)
                        {
                            Add(argument.Type);
                            Add(argument.Value as TypeReference);
                        }
                    }
                }

                void AddMethod(MethodReference method)
                {
                    Add(method.DeclaringType);
                    Add(method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        Add(parameter.ParameterType);
                    }

                    if (method is GenericInstanceMethod generic)
                    {
                        foreach (var argument in generic.GenericArguments)
                        {
                            Add(argument);
                        }
                    }
                }

                Add(type.BaseType);
                AddAttributes(type);
                foreach (var implemented in type.Interfaces)
                {
                    Add(implemented.InterfaceType);
                }

                foreach (var constraint in type.GenericParameters.SelectMany(parameter => parameter.Constraints))
                {
                    Add(constraint.ConstraintType);
                }

                foreach (var field in type.Fields)
                {
                    Add(field.FieldType);
                    AddAttributes(field);
                }

                foreach (var property in type.Properties)
                {
                    Add(property.PropertyType);
                    AddAttributes(property);
                }

                foreach (var @event in type.Events)
                {
                    Add(@event.EventType);
                }

                foreach (var method in type.Methods)
                {
                    AddMethod(method);
                    AddAttributes(method);
                    foreach (var parameter in method.Parameters)
                    {
                        AddAttributes(parameter);
                    }

                    foreach (var constraint in method.GenericParameters.SelectMany(parameter => parameter.Constraints))
                    {
                        Add(constraint.ConstraintType);
                    }

                    if (!method.HasBody)
                    {
                        continue;
                    }

                    foreach (var variable in method.Body.Variables)
                    {
                        Add(variable.VariableType);
                    }

                    foreach (var handler in method.Body.ExceptionHandlers)
                    {
                        Add(handler.CatchType);
                    }

                    foreach (var instruction in method.Body.Instructions)
                    {
                        switch (instruction.Operand)
                        {
                            case TypeReference reference:
                                Add(reference);
                                break;
                            case MethodReference reference:
                                AddMethod(reference);
                                break;
                            case FieldReference reference:
                                Add(reference.DeclaringType);
                                Add(reference.FieldType);
                                break;
                        }
                    }
                }

                return used;
            }

            /// <summary>A type with the types it is made of: elements of arrays and by-refs, generic arguments, modifiers.</summary>
            private static void Flatten(TypeReference? reference, List<TypeReference> into)
            {
                switch (reference)
                {
                    case null:
                    case GenericParameter _:
                        return;
                    case GenericInstanceType generic:
                        Flatten(generic.ElementType, into);
                        foreach (var argument in generic.GenericArguments)
                        {
                            Flatten(argument, into);
                        }

                        return;
                    case IModifierType modified:
                        Flatten(modified.ModifierType, into);
                        Flatten(modified.ElementType, into);
                        return;
                    case TypeSpecification specification:
                        Flatten(specification.ElementType, into);
                        return;
                    default:
                        into.Add(reference);
                        return;
                }
            }
        }

        /// <summary>
        /// The picture in README.md's Architecture section: the first fenced block there, one layer per line, its parts
        /// separated by " · " and followed, after two spaces, by what the layer is for. Lines of arrows only are skipped.
        /// A part may use the parts on the lines below its own, never those beside or above it.
        /// </summary>
        private static class ArchitecturePicture
        {
            public static Dictionary<string, int> Layers()
            {
                var lines = File.ReadAllLines(ReadmePath());
                var section = Array.FindIndex(lines, line => line.Trim() == "## Architecture");
                Assert.True(section >= 0, "README.md has no '## Architecture' section");
                var start = Array.FindIndex(lines, section, line => line.StartsWith("```", StringComparison.Ordinal));
                var end = Array.FindIndex(lines, start + 1, line => line.StartsWith("```", StringComparison.Ordinal));
                Assert.True(start > section && end > start, "README.md's Architecture section has no fenced picture");

                var layers = new Dictionary<string, int>(StringComparer.Ordinal);
                var depth = 0;
                foreach (var line in lines.Skip(start + 1).Take(end - start - 1))
                {
                    var text = line.Trim();
                    if (text.Length == 0 || !char.IsLetter(text[0]))
                    {
                        continue;
                    }

                    var names = text.Split(new[] { "  " }, 2, StringSplitOptions.None)[0];
                    depth--;
                    foreach (var part in names.Split('·').Select(name => name.Trim()))
                    {
                        Assert.True(part.All(char.IsLetter), $"'{part}' in the README's picture is not a part's name (line: {line})");
                        Assert.False(layers.ContainsKey(part), $"The README's picture places {part} twice");
                        layers[part] = depth;
                    }
                }

                return layers;
            }

            private static string ReadmePath()
            {
                for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder != null; folder = folder.Parent)
                {
                    var readme = Path.Combine(folder.FullName, "README.md");
                    if (File.Exists(readme) && File.Exists(Path.Combine(folder.FullName, "build.ps1")))
                    {
                        return readme;
                    }
                }

                throw new FileNotFoundException("README.md not found above " + AppContext.BaseDirectory);
            }
        }
    }
}
