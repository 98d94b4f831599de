using SyncEngine.Connectors.Database;

namespace SyncEngine.Connectors.SageOfficeLine.Tests;

/// <summary>
/// The statements a real Sage 100 on SQL Server gets, checked without a server: bracket quoting with the table's real
/// names, the transaction-owned application lock around numbering, LEN for the customer number range. And on
/// PostgreSQL, where unquoted names were folded, the folded real names quoted.
/// </summary>
public sealed class SageStatementTests
{
    private static SageTable Table(SqlDialect dialect, string name, string realName, params string[] columns) =>
        new(dialect, new TableInfo(name, realName, columns.Select(c => new ColumnInfo(c, typeof(string), "nvarchar", false)).ToList()));

    [Fact]
    public void Sql_server_statements_use_brackets_the_real_names_and_an_application_lock_owned_by_the_transaction()
    {
        var dialect = SqlDialect.For(DatabaseProvider.SqlServer);
        var documents = Table(dialect, "KHKVKBelege", "dbo.KHKVKBelege", "BelID", "Mandant", "Belegkennzeichen", "Belegnummer", "USER_ShopOrderId");
        var accounts = Table(dialect, "KHKKontokorrent", "dbo.KHKKontokorrent", "Kto", "Mandant");

        Assert.Equal("SELECT [BelID], [Belegnummer] FROM [dbo].[KHKVKBelege] WHERE [Mandant] = @p0 AND [USER_ShopOrderId] = @p1",
            SageSql.Select(documents, ["BelID", "Belegnummer"], ["Mandant", "user_shoporderid"]));
        Assert.Equal("SELECT MAX([Belegnummer]) FROM [dbo].[KHKVKBelege] WHERE [Mandant] = @p0 AND [Belegkennzeichen] = @p1 AND [Belegnummer] >= @p2",
            SageSql.Max(documents, "Belegnummer", ["Mandant", "Belegkennzeichen"], $"{documents["Belegnummer"]} >= @p2"));
        Assert.Equal("UPDATE [dbo].[KHKVKBelege] SET [Belegkennzeichen] = @p0 WHERE [BelID] = @p1 AND [Mandant] = @p2",
            SageSql.Update(documents, ["Belegkennzeichen"], ["BelID", "Mandant"]));
        Assert.Equal("INSERT INTO [dbo].[KHKKontokorrent] ([Kto], [Mandant]) VALUES (@p0, @p1)", SageSql.Insert(accounts, ["Kto", "Mandant"]));
        Assert.Equal("LEN([Kto])", SageSql.Length(dialect, accounts["Kto"]));
        Assert.Equal(
            "DECLARE @result int; EXEC @result = sp_getapplock @Resource = @p0, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = @p1; SELECT @result",
            SageSql.Lock(dialect));
        Assert.Equal(["SyncEngine.SageOfficeLine|dbo|1", 120_000], SageSql.LockValues(dialect, "SyncEngine.SageOfficeLine|dbo|1"));
    }

    [Fact]
    public void Postgresql_statements_quote_the_folded_names_and_lock_with_a_stable_advisory_key()
    {
        var dialect = SqlDialect.For(DatabaseProvider.PostgreSql);
        var positions = Table(dialect, "KHKVKBelegePositionen", "sage.khkvkbelegepositionen", "belposid", "belid", "mandant");

        Assert.Equal("DELETE FROM \"sage\".\"khkvkbelegepositionen\" WHERE \"belid\" = @p0 AND \"mandant\" = @p1", SageSql.Delete(positions, ["BelID", "Mandant"]));
        Assert.Equal("SELECT pg_advisory_xact_lock(@p0)", SageSql.Lock(dialect));
        // The same key in every process, from the resource name alone.
        Assert.Equal(SageSql.LockValues(dialect, "SyncEngine.SageOfficeLine|sage|1"), SageSql.LockValues(dialect, "SyncEngine.SageOfficeLine|sage|1"));
        Assert.NotEqual(SageSql.LockValues(dialect, "SyncEngine.SageOfficeLine|sage|1"), SageSql.LockValues(dialect, "SyncEngine.SageOfficeLine|sage|2"));
        Assert.Equal(unchecked((long)0xcbf29ce484222325UL), SageSql.Fnv1a64(string.Empty));
        // SQLite has no lock statement: BEGIN IMMEDIATE admits one writer at a time.
        Assert.Null(SageSql.Lock(SqlDialect.For(DatabaseProvider.Sqlite)));
    }
}
