using System.Text.Json;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;
using SyncEngine.Testing;

namespace SyncEngine.Core.Tests;

/// <summary>The JSON Schema editors use for completion must offer exactly what the mapping loader accepts.</summary>
public sealed class MappingSchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "mappings", "mapping.schema.json"))).RootElement;

    [Fact]
    public void Schema_offers_every_setting_the_loader_knows_and_no_other()
    {
        var root = Schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        var expression = Schema.GetProperty("definitions").GetProperty("expressionObject").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();

        Assert.Equal(MappingLoader.RootKeys.Order(), root);
        Assert.Equal(MappingLoader.ExpressionKeys.Order(), expression);
    }

    [Fact]
    public void Schema_lists_every_canonical_record_type()
    {
        var records = Schema.GetProperty("properties").GetProperty("record").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).Order();

        Assert.Equal(RecordTypes.All.Select(t => t.Name).Order(), records);
    }

    [Fact]
    public void Every_shipped_mapping_file_loads_without_errors()
    {
        var files = Directory.EnumerateFiles(Path.Combine(Repository.Root, "mappings"), "*.json", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("mapping.schema.json", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}valuemaps{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var errors = files.SelectMany(f => MappingLoader.Check(f).Errors).Select(e => e.ToString()).ToList();

        Assert.Empty(errors);
    }

}
