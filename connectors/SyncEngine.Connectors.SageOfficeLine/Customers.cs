using System.Globalization;
using SyncEngine.Core.Connectors;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>Who a record's customer is, in Sage's terms: the account it names, the shop's key, and the mapped address and account columns.</summary>
/// <param name="CustomerNumber">An account number (Kto) the record already names.</param>
/// <param name="ShopKey">A registered shop customer's key (<c>SR1:34</c>); null for a guest.</param>
internal sealed record CustomerInput(
    string? CustomerNumber,
    string? ShopKey,
    IReadOnlyList<KeyValuePair<string, object?>> Address,
    IReadOnlyList<KeyValuePair<string, object?>> Account)
{
    public string? Name => Text(Address, "Name1");
    public string? Email => Text(Address, "EMail")?.ToLowerInvariant();

    private static string? Text(IReadOnlyList<KeyValuePair<string, object?>> values, string column)
    {
        var value = values.FirstOrDefault(v => string.Equals(v.Key, column, StringComparison.OrdinalIgnoreCase)).Value;
        var text = value is null ? null : Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }
}

internal enum CustomerMatch
{
    /// <summary>The account the record names.</summary>
    Number,
    /// <summary>A registered shop customer, by the shop's customer id stored in the account.</summary>
    ShopKey,
    /// <summary>Same name and e-mail address.</summary>
    NameAndEmail,
    Created,
}

internal sealed record ResolvedCustomer(string Kto, long Adresse, CustomerMatch Match);

/// <summary>
/// Finds a record's customer in KHKKontokorrent (KtoArt 'D') and KHKAdressen, or creates it: the account the record
/// names; a registered shop customer by the shop's customer id stored in the account; anyone by name and e-mail
/// (a registered customer only takes an account no shop customer id claims yet). A registered customer found by number
/// or by name and e-mail stores its id in an account that has none. Else a new address and account with the next numbers.
/// </summary>
internal static class Customers
{
    public static async Task<ResolvedCustomer> ResolveAsync(SageSession session, CustomerInput input, bool updateExisting, CancellationToken cancellationToken)
    {
        var accounts = session.Schema[Sage.Kontokorrent];
        var addresses = session.Schema[Sage.Adressen];
        var keyColumn = session.Options.CustomerKeyColumn;
        ResolvedCustomer? found = null;

        if (input.CustomerNumber is { Length: > 0 } number)
        {
            var rows = await session.SelectAsync(accounts, ["Kto", "Adresse", keyColumn], [new("Mandant", session.Mandant), new("Kto", number), new("KtoArt", Sage.Debitor)], cancellationToken);
            if (rows.Count == 0) throw new RecordException($"customer account '{number}' does not exist in KHKKontokorrent (Mandant {session.Mandant})", "CustomerNumber", number);
            found = Found(rows[0], CustomerMatch.Number);
            if (input.ShopKey is { } adopt && string.IsNullOrEmpty(Convert.ToString(rows[0][2], CultureInfo.InvariantCulture)))
                await session.UpdateAsync(accounts, [new(keyColumn, adopt)], [new("Kto", found.Kto), new("Mandant", session.Mandant)], cancellationToken);
        }
        if (found is null && input.ShopKey is { } key)
        {
            var rows = await session.SelectAsync(accounts, ["Kto", "Adresse"], [new("Mandant", session.Mandant), new(keyColumn, key), new("KtoArt", Sage.Debitor)], cancellationToken);
            if (rows.Count > 0) found = Found(rows[0], CustomerMatch.ShopKey);
        }
        if (found is null && input.Name is { } name && input.Email is { } email)
        {
            // E-mail in the database, name here: a name compares whatever its case and accents' case (Kovács = KOVÁCS).
            var sql = $"SELECT k.{accounts["Kto"]}, k.{accounts["Adresse"]}, a.{addresses["Name1"]}, k.{accounts[keyColumn]} " +
                $"FROM {accounts.Sql} k JOIN {addresses.Sql} a ON a.{addresses["Mandant"]} = k.{accounts["Mandant"]} AND a.{addresses["Adresse"]} = k.{accounts["Adresse"]} " +
                $"WHERE k.{accounts["Mandant"]} = @p0 AND k.{accounts["KtoArt"]} = @p1 AND LOWER(a.{addresses["EMail"]}) = @p2 ORDER BY k.{accounts["Kto"]}";
            var candidates = await session.QueryAsync(sql,
                [accounts.Value("Mandant", session.Mandant, session.TimeZone), Sage.Debitor, email], cancellationToken);
            var match = candidates.FirstOrDefault(c =>
                string.Equals(Convert.ToString(c[2], CultureInfo.InvariantCulture)?.Trim(), name, StringComparison.InvariantCultureIgnoreCase)
                && (input.ShopKey is null || string.IsNullOrEmpty(Convert.ToString(c[3], CultureInfo.InvariantCulture))));
            if (match is not null)
            {
                found = Found(match, CustomerMatch.NameAndEmail);
                // A registered customer found by name and e-mail is found by its id from now on.
                if (input.ShopKey is { } adopt)
                    await session.UpdateAsync(accounts, [new(keyColumn, adopt)], [new("Kto", found.Kto), new("Mandant", session.Mandant)], cancellationToken);
            }
        }

        if (found is not null)
        {
            if (updateExisting)
            {
                await session.UpdateAsync(addresses, input.Address, [new("Adresse", found.Adresse), new("Mandant", session.Mandant)], cancellationToken);
                await session.UpdateAsync(accounts, input.Account, [new("Kto", found.Kto), new("Mandant", session.Mandant)], cancellationToken);
            }
            return found;
        }

        var adresse = await session.NextIdAsync(Sage.Adressen, "Adresse", cancellationToken);
        var kto = await session.NextCustomerNumberAsync(cancellationToken);
        await session.InsertAsync(addresses, [new("Adresse", adresse), new("Mandant", session.Mandant), .. input.Address], cancellationToken);
        List<KeyValuePair<string, object?>> account = [new("Kto", kto), new("KtoArt", Sage.Debitor), new("Mandant", session.Mandant), new("Adresse", adresse)];
        if (input.ShopKey is not null) account.Add(new(keyColumn, input.ShopKey));
        await session.InsertAsync(accounts, [.. account, .. input.Account], cancellationToken);
        return new ResolvedCustomer(kto, adresse, CustomerMatch.Created);
    }

    private static ResolvedCustomer Found(object?[] row, CustomerMatch match) =>
        new(Convert.ToString(row[0], CultureInfo.InvariantCulture)!.Trim(), Convert.ToInt64(row[1], CultureInfo.InvariantCulture), match);
}
