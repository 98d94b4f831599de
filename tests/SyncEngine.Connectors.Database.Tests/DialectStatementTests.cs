namespace SyncEngine.Connectors.Database.Tests;

/// <summary>
/// The statements each database gets, as text. SQL Server and MySQL have no server here, so their upsert, merge and bulk
/// statements are pinned exactly; SQLite's and PostgreSQL's also run against real databases in the other tests.
/// </summary>
public sealed class DialectStatementTests
{
    private static readonly string[] Header = ["Mandant", "Referenz", "Kunde", "Brutto"];
    private static readonly string[] HeaderKey = ["Mandant", "Referenz"];
    private static readonly string[] Stock = ["Mandant", "Lager", "Artikelnummer", "Bestand"];
    private static readonly string[] StockKey = ["Mandant", "Lager", "Artikelnummer"];

    [Fact]
    public void SqlServer_upserts_with_a_merge_under_holdlock_that_outputs_the_generated_id()
    {
        Assert.Equal(
            "MERGE INTO [dbo].[KHKVKBelege] WITH (HOLDLOCK) AS t USING (VALUES (@p0, @p1, @p2, @p3)) AS s ([Mandant], [Referenz], [Kunde], [Brutto]) " +
            "ON t.[Mandant] = s.[Mandant] AND t.[Referenz] = s.[Referenz] " +
            "WHEN MATCHED THEN UPDATE SET t.[Kunde] = s.[Kunde], t.[Brutto] = s.[Brutto] " +
            "WHEN NOT MATCHED THEN INSERT ([Mandant], [Referenz], [Kunde], [Brutto]) VALUES (s.[Mandant], s.[Referenz], s.[Kunde], s.[Brutto]) " +
            "OUTPUT inserted.[BelID];",
            SqlServerDialect.Instance.Upsert("dbo.KHKVKBelege", Header, HeaderKey, "BelID"));
    }

    [Fact]
    public void SqlServer_upsert_without_identity_outputs_nothing_and_a_row_of_only_key_columns_is_still_matched_for_its_identity()
    {
        Assert.Equal(
            "MERGE INTO [KHKLagerplatzbestaende] WITH (HOLDLOCK) AS t USING (VALUES (@p0, @p1, @p2, @p3)) AS s ([Mandant], [Lager], [Artikelnummer], [Bestand]) " +
            "ON t.[Mandant] = s.[Mandant] AND t.[Lager] = s.[Lager] AND t.[Artikelnummer] = s.[Artikelnummer] " +
            "WHEN MATCHED THEN UPDATE SET t.[Bestand] = s.[Bestand] " +
            "WHEN NOT MATCHED THEN INSERT ([Mandant], [Lager], [Artikelnummer], [Bestand]) VALUES (s.[Mandant], s.[Lager], s.[Artikelnummer], s.[Bestand]);",
            SqlServerDialect.Instance.Upsert("KHKLagerplatzbestaende", Stock, StockKey, null));
        Assert.Equal(
            "MERGE INTO [KHKKunden] WITH (HOLDLOCK) AS t USING (VALUES (@p0)) AS s ([Kundennummer]) ON t.[Kundennummer] = s.[Kundennummer] " +
            "WHEN MATCHED THEN UPDATE SET t.[Kundennummer] = s.[Kundennummer] " +
            "WHEN NOT MATCHED THEN INSERT ([Kundennummer]) VALUES (s.[Kundennummer]) OUTPUT inserted.[KundenID];",
            SqlServerDialect.Instance.Upsert("KHKKunden", ["Kundennummer"], ["Kundennummer"], "KundenID"));
    }

    [Fact]
    public void SqlServer_bulk_copies_into_a_temp_table_and_merges_it_into_the_target()
    {
        var dialect = SqlServerDialect.Instance;

        Assert.Equal("SELECT TOP 0 [Mandant], [Lager], [Artikelnummer], [Bestand] INTO [#syncengine_stage] FROM [dbo].[KHKLagerplatzbestaende]",
            dialect.CreateStage("dbo.KHKLagerplatzbestaende", Stock));
        Assert.Equal(
            "MERGE INTO [dbo].[KHKLagerplatzbestaende] WITH (HOLDLOCK) AS t USING [#syncengine_stage] AS s " +
            "ON t.[Mandant] = s.[Mandant] AND t.[Lager] = s.[Lager] AND t.[Artikelnummer] = s.[Artikelnummer] " +
            "WHEN MATCHED THEN UPDATE SET t.[Bestand] = s.[Bestand] " +
            "WHEN NOT MATCHED THEN INSERT ([Mandant], [Lager], [Artikelnummer], [Bestand]) VALUES (s.[Mandant], s.[Lager], s.[Artikelnummer], s.[Bestand]);",
            dialect.UpsertFromStage("dbo.KHKLagerplatzbestaende", Stock, StockKey));
        Assert.Equal("DROP TABLE [#syncengine_stage]", dialect.DropStage());
        Assert.Equal("SqlBulkCopy", dialect.BulkMethod);
    }

    [Fact]
    public void MySql_upserts_on_duplicate_key_and_gets_the_id_back_through_last_insert_id_also_on_update()
    {
        Assert.Equal(
            "INSERT INTO `KHKVKBelege` (`Mandant`, `Referenz`, `Kunde`, `Brutto`) VALUES (@p0, @p1, @p2, @p3) " +
            "ON DUPLICATE KEY UPDATE `Kunde` = VALUES(`Kunde`), `Brutto` = VALUES(`Brutto`), `BelID` = LAST_INSERT_ID(`BelID`); SELECT LAST_INSERT_ID()",
            MySqlDialect.Instance.Upsert("KHKVKBelege", Header, HeaderKey, "BelID"));
        Assert.Equal(
            "INSERT INTO `shop`.`KHKLagerplatzbestaende` (`Mandant`, `Lager`, `Artikelnummer`, `Bestand`) VALUES (@p0, @p1, @p2, @p3) " +
            "ON DUPLICATE KEY UPDATE `Bestand` = VALUES(`Bestand`)",
            MySqlDialect.Instance.Upsert("shop.KHKLagerplatzbestaende", Stock, StockKey, null));
    }

    [Fact]
    public void MySql_bulk_is_a_multi_row_insert_on_duplicate_key_update()
    {
        Assert.Equal(
            "INSERT INTO `KHKLagerplatzbestaende` (`Mandant`, `Lager`, `Artikelnummer`, `Bestand`) VALUES (@p0, @p1, @p2, @p3), (@p4, @p5, @p6, @p7) " +
            "ON DUPLICATE KEY UPDATE `Bestand` = VALUES(`Bestand`)",
            MySqlDialect.Instance.UpsertRows("KHKLagerplatzbestaende", Stock, StockKey, 2));
        Assert.Equal("multi-row INSERT", MySqlDialect.Instance.BulkMethod);
    }

    [Fact]
    public void PostgreSql_and_Sqlite_upsert_on_conflict_of_the_key_returning_the_generated_id()
    {
        const string expected =
            "INSERT INTO \"KHKVKBelege\" (\"Mandant\", \"Referenz\", \"Kunde\", \"Brutto\") VALUES (@p0, @p1, @p2, @p3) " +
            "ON CONFLICT (\"Mandant\", \"Referenz\") DO UPDATE SET \"Kunde\" = excluded.\"Kunde\", \"Brutto\" = excluded.\"Brutto\" RETURNING \"BelID\"";
        Assert.Equal(expected, PostgreSqlDialect.Instance.Upsert("KHKVKBelege", Header, HeaderKey, "BelID"));
        Assert.Equal(expected, SqliteDialect.Instance.Upsert("KHKVKBelege", Header, HeaderKey, "BelID"));
        Assert.Equal("INSERT INTO \"K\" (\"Nr\") VALUES (@p0) ON CONFLICT (\"Nr\") DO NOTHING", SqliteDialect.Instance.Upsert("K", ["Nr"], ["Nr"], null));
        Assert.Equal("INSERT INTO \"K\" (\"Nr\") VALUES (@p0) ON CONFLICT (\"Nr\") DO UPDATE SET \"Nr\" = excluded.\"Nr\" RETURNING \"Id\"",
            SqliteDialect.Instance.Upsert("K", ["Nr"], ["Nr"], "Id"));
    }

    [Fact]
    public void PostgreSql_bulk_copies_binary_into_a_staging_table_and_upserts_from_it_in_one_statement()
    {
        var dialect = PostgreSqlDialect.Instance;

        Assert.Equal(
            "CREATE TEMP TABLE \"syncengine_stage\" ON COMMIT DROP AS SELECT \"Mandant\", \"Lager\", \"Artikelnummer\", \"Bestand\" FROM \"erp\".\"khklagerplatzbestaende\" WITH NO DATA",
            dialect.CreateStage("erp.khklagerplatzbestaende", Stock));
        Assert.Equal("COPY \"syncengine_stage\" (\"Mandant\", \"Lager\", \"Artikelnummer\", \"Bestand\") FROM STDIN (FORMAT BINARY)", dialect.CopyToStage(Stock));
        Assert.Equal(
            "INSERT INTO \"erp\".\"khklagerplatzbestaende\" (\"Mandant\", \"Lager\", \"Artikelnummer\", \"Bestand\") " +
            "SELECT \"Mandant\", \"Lager\", \"Artikelnummer\", \"Bestand\" FROM \"syncengine_stage\" " +
            "ON CONFLICT (\"Mandant\", \"Lager\", \"Artikelnummer\") DO UPDATE SET \"Bestand\" = excluded.\"Bestand\"",
            dialect.UpsertFromStage("erp.khklagerplatzbestaende", Stock, StockKey));
    }

    [Fact]
    public void Sqlite_bulk_rebinds_one_single_row_upsert_for_every_row()
    {
        Assert.Equal(
            "INSERT INTO \"KHKLagerplatzbestaende\" (\"Mandant\", \"Lager\", \"Artikelnummer\", \"Bestand\") VALUES (@p0, @p1, @p2, @p3) " +
            "ON CONFLICT (\"Mandant\", \"Lager\", \"Artikelnummer\") DO UPDATE SET \"Bestand\" = excluded.\"Bestand\"",
            SqliteDialect.Instance.UpsertRows("KHKLagerplatzbestaende", Stock, StockKey, 1));
    }

    [Fact]
    public void Child_rows_are_deleted_by_parent_key_and_inserted_with_it_and_keyed_children_keep_the_rows_still_in_the_document()
    {
        var dialect = SqlServerDialect.Instance;

        Assert.Equal("DELETE FROM [dbo].[KHKVKBelegePositionen] WHERE [BelID] = @p0", dialect.Delete("dbo.KHKVKBelegePositionen", ["BelID"]));
        Assert.Equal("INSERT INTO [dbo].[KHKVKBelegePositionen] ([Position], [Artikelnummer], [BelID]) VALUES (@p0, @p1, @p2)",
            dialect.Insert("dbo.KHKVKBelegePositionen", ["Position", "Artikelnummer", "BelID"]));
        Assert.Equal(
            "DELETE FROM `KHKVKBelegePositionen` WHERE `BelID` = @p0 AND NOT ((`BelID` = @p1 AND `Position` = @p2) OR (`BelID` = @p3 AND `Position` = @p4))",
            MySqlDialect.Instance.DeleteOthers("KHKVKBelegePositionen", ["BelID"], ["BelID", "Position"], 2));
        Assert.Equal("DELETE FROM `KHKVKBelegePositionen` WHERE `BelID` = @p0", MySqlDialect.Instance.DeleteOthers("KHKVKBelegePositionen", ["BelID"], ["BelID", "Position"], 0));
    }

    [Fact]
    public void Identifiers_are_quoted_per_database_and_a_quote_inside_a_name_is_doubled()
    {
        Assert.Equal("[dbo].[Preis]]liste]", SqlServerDialect.Instance.QuoteName("dbo.Preis]liste"));
        Assert.Equal("`shop`.`Preis``liste`", MySqlDialect.Instance.QuoteName("shop.Preis`liste"));
        Assert.Equal("\"erp\".\"Preis\"\"liste\"", PostgreSqlDialect.Instance.QuoteName("erp.Preis\"liste"));
        Assert.Equal("\"Preis liste\"", SqliteDialect.Instance.QuoteName("Preis liste"));
    }
}
