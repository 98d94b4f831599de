namespace SyncEngine.Connectors.Database.Tests;

public sealed class SqlScriptTests
{
    [Fact]
    public void A_setup_script_splits_at_semicolons_but_not_inside_quotes_comments_dollar_quotes_or_trigger_bodies()
    {
        const string script = """
            -- ERP tables; created once
            CREATE TABLE IF NOT EXISTS a (x TEXT DEFAULT 'a;b');
            /* a comment; with a semicolon */
            CREATE TABLE "b;c" (y INTEGER);
            CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.y := 1; RETURN NEW; END; $body$ LANGUAGE plpgsql;
            CREATE TRIGGER t AFTER INSERT ON a BEGIN
                UPDATE a SET x = CASE WHEN x = 'p' THEN 'q' END;
                DELETE FROM a WHERE x = 'z';
            END;
            INSERT INTO a VALUES ('it''s; fine')
            """;

        var statements = SqlScript.Split(script);

        Assert.Equal(
        [
            (2, "CREATE TABLE IF NOT EXISTS a (x TEXT DEFAULT 'a;b')"),
            (4, "CREATE TABLE \"b;c\" (y INTEGER)"),
            (5, "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.y := 1; RETURN NEW; END; $body$ LANGUAGE plpgsql"),
            (6, "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n    UPDATE a SET x = CASE WHEN x = 'p' THEN 'q' END;\n    DELETE FROM a WHERE x = 'z';\nEND"),
            (10, "INSERT INTO a VALUES ('it''s; fine')"),
        ], statements.Select(s => (s.Line, s.Text.ReplaceLineEndings("\n"))));
        Assert.Equal(["a", "b;c"], SqlScript.CreatedTables(script));
    }

    [Fact]
    public void Go_lines_separate_sql_server_batches_and_a_begin_outside_a_trigger_does_not_hold_the_split()
    {
        const string script = """
            CREATE TABLE [dbo].[KHKArtikel] (Artikelnummer VARCHAR(40))
            GO
            BEGIN TRANSACTION;
            INSERT INTO [dbo].[KHKArtikel] VALUES ('GOTO')
            go
            """;

        var statements = SqlScript.Split(script);

        Assert.Equal(["CREATE TABLE [dbo].[KHKArtikel] (Artikelnummer VARCHAR(40))", "BEGIN TRANSACTION", "INSERT INTO [dbo].[KHKArtikel] VALUES ('GOTO')"],
            statements.Select(s => s.Text));
        Assert.Equal(["dbo.KHKArtikel"], SqlScript.CreatedTables(script));
    }
}
