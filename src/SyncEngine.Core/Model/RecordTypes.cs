using System.Collections.Frozen;

namespace SyncEngine.Core.Model;

/// <summary>The canonical record types by the names used in config, dead letters and mappings.</summary>
public static class RecordTypes
{
    private static readonly FrozenDictionary<string, Type> ByName = new[]
    {
        typeof(Product), typeof(Category), typeof(StockLevel), typeof(Customer), typeof(Order), typeof(Shipment),
        typeof(Document), typeof(StockMovement), typeof(DeliveryNote), typeof(LoyaltyTransaction),
    }.ToFrozenDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<Type> All => ByName.Values;

    public static Type? Find(string name) => ByName.GetValueOrDefault(name);

    public static string NameOf(Type type) => type.Name;
}
