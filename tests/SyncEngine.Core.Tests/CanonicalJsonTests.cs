using System.Security.Cryptography;
using System.Text;
using SyncEngine.Core.Model;

namespace SyncEngine.Core.Tests;

/// <summary>Checksums are stored from run to run: the same record must give the same checksum in every version.</summary>
public sealed class CanonicalJsonTests
{
    private static Product Sample() => new()
    {
        Id = "A0004711", Sku = "A0004711", Name = "Kávéfőző \"Ékes\" 4711", Unit = "pcs",
        Prices = new ProductPrices { Base = 374.09m, BaseGross = 475.09m },
        UpdatedAt = new DateTimeOffset(2025, 1, 1, 1, 18, 31, TimeSpan.Zero),
        // Keys in no order, of mixed case, one without a value: written sorted by ordinal, the empty one as null.
        Attributes = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["stock_web"] = "43", ["Stock_BP"] = "41", ["stock_deb"] = null, ["ä"] = "x" },
    };

    [Fact]
    public void A_record_is_written_in_one_form_with_its_attributes_sorted_and_its_checksum_is_that_form_hashed()
    {
        var json = CanonicalJson.Serialize(Sample());

        Assert.Equal(
            """{"sku":"A0004711","name":"Kávéfőző \"Ékes\" 4711","unit":"pcs","active":true,"translations":[],"variants":[],"categoryIds":[],"images":[],"attachments":[],"prices":{"base":374.09,"baseGross":475.09,"priceGroups":[],"tiers":[],"actions":[],"customerPrices":[]},"stock":[],"relations":[],"billOfMaterials":[],"updatedAt":"2025-01-01T01:18:31+00:00","id":"A0004711","attributes":{"Stock_BP":"41","stock_deb":null,"stock_web":"43","ä":"x"}}""",
            json);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))[..16]), CanonicalJson.Checksum(Sample()));
        // As every earlier version computed it for this record.
        Assert.Equal("343a8b071914be0f26b6109b4010506a", CanonicalJson.Checksum(Sample()));
    }
}
