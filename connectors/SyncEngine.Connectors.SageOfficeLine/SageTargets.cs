using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SyncEngine.Connectors.Database;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Mapping;
using SyncEngine.Core.Model;

namespace SyncEngine.Connectors.SageOfficeLine;

/// <summary>
/// The frame of a Sage write: a batch is one transaction that first takes the numbering lock; each record is written
/// under a savepoint, so a record the mapping or the database refuses is rolled back alone (its numbers taken back) and
/// dead-lettered, while a database that fails as a whole fails the batch and nothing of it is committed.
/// </summary>
internal abstract class SageTarget(SageOfficeLineConnector connector, SageWriteMapping mapping, StreamContext context, ILogger logger) : IRecordTarget
{
    private const string Savepoint = "syncengine_sage";

    private readonly MappingContext _mappingContext = MappingContext.For(context);
    private SageSchema? _schema;

    protected SageOfficeLineConnector Connector => connector;
    protected SageWriteMapping Mapping => mapping;
    protected ILogger Logger => logger;

    /// <summary>The shop's code in front of its ids: the connection's <c>Shop</c>, else the flow's source connection.</summary>
    protected string Shop => string.IsNullOrWhiteSpace(connector.Options.Shop) ? context.FromConnection : connector.Options.Shop.Trim();

    protected abstract IReadOnlyList<string> RequiredTables { get; }

    protected virtual IReadOnlyList<string> OptionalTables => [];

    /// <summary>What is written from the record, before it is mapped (an order's services with shipping and payment fee).</summary>
    protected virtual Entity Prepare(Entity record) => record;

    /// <summary>Writes one mapped record inside the batch's transaction; returns its target id, and why it was left as it is when it was.</summary>
    protected abstract Task<(string TargetId, string? Skipped)> WriteAsync(SageSession session, Entity record, MappedRow row, CancellationToken cancellationToken);

    public async Task<WriteResult> WriteAsync(IReadOnlyList<WriteItem> batch, CancellationToken cancellationToken)
    {
        var database = connector.Database;
        await database.EnsureSetupAsync(cancellationToken);
        var outcomes = new RecordOutcome?[batch.Count];
        var records = new (Entity Record, MappedRow Row)?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                var record = Prepare(batch[i].Record);
                records[i] = (record, await mapping.Mapping.ToRowAsync(record, _mappingContext, cancellationToken));
            }
            catch (RecordException ex)
            {
                outcomes[i] = RecordOutcome.Failed(batch[i].Key, ex.Message);
            }
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            var schema = _schema ??= await SageSchema.LoadAsync(database, connection, RequiredTables, OptionalTables, mapping.File, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var session = new SageSession(database, connection, transaction, schema, connector.Options, mapping.Mapping.TimeZone);
            await session.LockAsync(cancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                if (records[i] is not { } record) continue;
                await transaction.SaveAsync(Savepoint, cancellationToken);
                session.Mark();
                try
                {
                    var (id, skipped) = await WriteAsync(session, record.Record, record.Row, cancellationToken);
                    await transaction.ReleaseAsync(Savepoint, cancellationToken);
                    outcomes[i] = skipped is null ? RecordOutcome.Written(batch[i].Key, id) : RecordOutcome.Skipped(batch[i].Key, id, skipped);
                }
                catch (DbException ex) when (database.Dialect.IsRecordError(ex))
                {
                    await transaction.RollbackAsync(Savepoint, cancellationToken);
                    session.Reset();
                    outcomes[i] = RecordOutcome.Failed(batch[i].Key, $"table '{session.Table}' refused the record: {database.Redact(database.Dialect.Message(ex))}");
                }
                catch (RecordException ex)
                {
                    await transaction.RollbackAsync(Savepoint, cancellationToken);
                    session.Reset();
                    outcomes[i] = RecordOutcome.Failed(batch[i].Key, ex.Message);
                }
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException ex)
        {
            // What is known of the tables may be what failed (a table renamed or altered): read them again next time.
            _schema = null;
            database.ForgetTables();
            throw new DatabaseException($"connection '{connector.Name}' ({database.Where}): writing {context.Stream} failed: {database.Redact(database.Dialect.Message(ex))}", ex);
        }
        catch (ConfigurationException)
        {
            _schema = null;
            database.ForgetTables();
            throw;
        }
        return new WriteResult(outcomes.Select((o, i) => o ?? RecordOutcome.Failed(batch[i].Key, "the record was not written")).ToList());
    }
}

/// <summary>
/// Canonical orders as Sage sales documents (KHKVKBelege with KHKVKBelegePositionen). A document is found again by the
/// shop's order id in <c>OrderKeyColumn</c>: a changed order updates its header and replaces its positions under the
/// same Belegnummer; a new one gets the next number of the connection's range. Its customer is matched or created,
/// each line's article matched by SKU or created, services (shipping, payment fee) become positions of service articles.
/// </summary>
internal sealed partial class SageOrderTarget(SageOfficeLineConnector connector, SageWriteMapping mapping, StreamContext context, ILogger logger)
    : SageTarget(connector, mapping, context, logger)
{
    protected override IReadOnlyList<string> RequiredTables => [Sage.Belege, Sage.Positionen, Sage.Adressen, Sage.Kontokorrent, Sage.Artikel];

    protected override IReadOnlyList<string> OptionalTables => [Sage.Varianten];

    protected override Entity Prepare(Entity record)
    {
        var order = (Order)record;
        return order with { Services = Services(order) };
    }

    /// <summary>
    /// The order's charged services: <see cref="Order.Services"/>, where the canonical model lists shipping and payment
    /// fee with the other services. A source that leaves them empty gets its shipping cost and payment fee from
    /// <see cref="Order.Shipping"/> and <see cref="Order.Payment"/>, so each is a position once either way.
    /// </summary>
    internal static IReadOnlyList<OrderService> Services(Order order)
    {
        if (order.Services.Count > 0) return order.Services;
        var services = new List<OrderService>();
        if (order.Shipping is { } shipping && (shipping.CostNet != 0 || shipping.CostGross != 0))
        {
            services.Add(new OrderService
            {
                Name = shipping.Name ?? shipping.Code ?? "Shipping", Code = shipping.Code, Net = shipping.CostNet, Gross = shipping.CostGross, TaxRate = shipping.TaxRate,
            });
        }
        if (order.Payment is { } payment && (payment.FeeNet != 0 || payment.FeeGross != 0))
        {
            services.Add(new OrderService
            {
                Name = payment.Name ?? payment.Code ?? "Payment fee", Code = payment.Code, Net = payment.FeeNet, Gross = payment.FeeGross,
                TaxRate = payment.FeeNet == 0 ? 0 : Math.Round((payment.FeeGross / payment.FeeNet - 1) * 100, 2, MidpointRounding.AwayFromZero),
            });
        }
        return services;
    }

    protected override async Task<(string TargetId, string? Skipped)> WriteAsync(SageSession session, Entity record, MappedRow row, CancellationToken cancellationToken)
    {
        var order = (Order)record;
        var options = session.Options;
        var documents = session.Schema[Sage.Belege];
        var positions = session.Schema[Sage.Positionen];
        var key = $"{Shop}:{order.Id}";

        var existing = await session.SelectAsync(documents, ["BelID", "Belegnummer"],
            [new("Mandant", session.Mandant), new(options.OrderKeyColumn, key)], cancellationToken);

        var customer = await Customers.ResolveAsync(session, new CustomerInput(
            order.Customer?.CustomerNumber,
            order.Customer is { IsGuest: false, Id.Length: > 0 } registered ? $"{Shop}:{registered.Id}" : null,
            SageWriteMapping.Values(row, Mapping.Of(Sage.Adressen)),
            SageWriteMapping.Values(row, Mapping.Of(Sage.Kontokorrent))), updateExisting: false, cancellationToken);

        // Articles first: positions refer to them.
        var createdBy = $"Angelegt aus Shop-Bestellung {order.OrderNumber ?? order.Id} ({Shop}) durch SyncEngine";
        var articles = new Dictionary<string, ResolvedArticle>(StringComparer.OrdinalIgnoreCase);
        var lines = new List<(string Where, List<KeyValuePair<string, object?>> Values)>();
        foreach (var child in Mapping.Children)
        {
            var number = child.Positions.First(c => string.Equals(c.Column, "Artikelnummer", StringComparison.OrdinalIgnoreCase));
            var index = 0;
            foreach (var childRow in row.Children.GetValueOrDefault(child.Name) ?? [])
            {
                var where = $"{child.Path}[{++index}]";
                ResolvedArticle article;
                try
                {
                    article = await Articles.ResolveAsync(session, Articles.Number(childRow.Fields[number.Index].Value, number.Field),
                        SageWriteMapping.Values(childRow, child.Article), createdBy, articles, cancellationToken);
                }
                catch (RecordException ex)
                {
                    throw new RecordException($"{where}: {ex.Message}", ex.Field, ex.Value, ex);
                }
                if (article.Created) LogArticleCreated(Logger, article.Artikelnummer, order.OrderNumber ?? order.Id);
                var values = SageWriteMapping.Values(childRow, child.Positions)
                    .Select(v => string.Equals(v.Key, "Artikelnummer", StringComparison.OrdinalIgnoreCase) ? new(v.Key, article.Artikelnummer) : v).ToList();
                if (positions.Has("AuspraegungID")) values.Add(new("AuspraegungID", article.AuspraegungID));
                if (positions.Has("Gesamtpreis") && !child.Positions.Any(c => string.Equals(c.Column, "Gesamtpreis", StringComparison.OrdinalIgnoreCase))
                    && Total(values) is { } total)
                {
                    values.Add(new("Gesamtpreis", total));
                }
                lines.Add((where, values));
            }
        }

        var header = SageWriteMapping.Values(row, Mapping.Of(Sage.Belege));
        header.Add(new("A0Empfaenger", customer.Kto));
        if (documents.Has("A0AdressNr")) header.Add(new("A0AdressNr", customer.Adresse));
        long belId;
        long belegnummer;
        if (existing.Count > 0)
        {
            // Changed after import: the same document, header updated and positions replaced; its number stays.
            belId = Convert.ToInt64(existing[0][0], CultureInfo.InvariantCulture);
            belegnummer = Convert.ToInt64(existing[0][1], CultureInfo.InvariantCulture);
            await session.UpdateAsync(documents, header, [new("BelID", belId), new("Mandant", session.Mandant)], cancellationToken);
            await session.DeleteAsync(positions, [new("BelID", belId), new("Mandant", session.Mandant)], cancellationToken);
        }
        else
        {
            belId = await session.NextIdAsync(Sage.Belege, "BelID", cancellationToken);
            belegnummer = await session.NextDocumentNumberAsync(cancellationToken);
            var year = TimeZoneInfo.ConvertTime(order.OrderedAt == default ? DateTimeOffset.UtcNow : order.OrderedAt, session.TimeZone).Year;
            await session.InsertAsync(documents,
            [
                new("BelID", belId), new("Mandant", session.Mandant), new("Belegkennzeichen", options.Belegkennzeichen), new("Belegjahr", year),
                new("Belegnummer", belegnummer), new(options.OrderKeyColumn, key), .. header,
            ], cancellationToken);
        }

        var position = 0;
        foreach (var (where, line) in lines)
        {
            var belPosId = await session.NextIdAsync(Sage.Positionen, "BelPosID", cancellationToken);
            try
            {
                await session.InsertAsync(positions,
                    [new("BelPosID", belPosId), new("Mandant", session.Mandant), new("BelID", belId), new("Position", ++position), .. line], cancellationToken);
            }
            catch (RecordException ex)
            {
                throw new RecordException($"{where}: {ex.Message}", ex.Field, ex.Value, ex);
            }
        }
        LogDocumentWritten(Logger, options.Belegkennzeichen, belegnummer, order.OrderNumber ?? order.Id, existing.Count > 0 ? "updated" : "created", customer.Kto, customer.Match);
        return (belId.ToString(CultureInfo.InvariantCulture), null);
    }

    /// <summary>Menge × Einzelpreis less Rabatt %, when the mapping gives numbers; Sage would compute the same.</summary>
    private static decimal? Total(IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        decimal? Number(string column)
        {
            var value = values.FirstOrDefault(v => string.Equals(v.Key, column, StringComparison.OrdinalIgnoreCase)).Value;
            if (value is null) return null;
            try
            {
                return Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
            {
                return null;
            }
        }
        if (Number("Menge") is not { } quantity || Number("Einzelpreis") is not { } price) return null;
        return Math.Round(quantity * price * (1 - (Number("Rabatt") ?? 0) / 100), 4, MidpointRounding.AwayFromZero);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sage: article {Artikelnummer} created for shop order {OrderNumber}")]
    private static partial void LogArticleCreated(ILogger logger, string artikelnummer, string orderNumber);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sage: {Belegkennzeichen} {Belegnummer} for shop order {OrderNumber} {Action} (customer {Kto}, matched by {Match})")]
    private static partial void LogDocumentWritten(ILogger logger, string belegkennzeichen, long belegnummer, string orderNumber, string action, string kto, CustomerMatch match);
}

/// <summary>Canonical customers as Sage customers: address (KHKAdressen) and account (KHKKontokorrent, KtoArt 'D'), matched or created.</summary>
internal sealed class SageCustomerTarget(SageOfficeLineConnector connector, SageWriteMapping mapping, StreamContext context, ILogger logger)
    : SageTarget(connector, mapping, context, logger)
{
    protected override IReadOnlyList<string> RequiredTables => [Sage.Adressen, Sage.Kontokorrent];

    protected override async Task<(string TargetId, string? Skipped)> WriteAsync(SageSession session, Entity record, MappedRow row, CancellationToken cancellationToken)
    {
        var customer = (Customer)record;
        var resolved = await Customers.ResolveAsync(session, new CustomerInput(
            customer.CustomerNumber,
            customer is { IsGuest: false, Id.Length: > 0 } ? $"{Shop}:{customer.Id}" : null,
            SageWriteMapping.Values(row, Mapping.Of(Sage.Adressen)),
            SageWriteMapping.Values(row, Mapping.Of(Sage.Kontokorrent))), updateExisting: true, cancellationToken);
        return (resolved.Kto, null);
    }
}

/// <summary>
/// New shop products as Sage articles (KHKArtikel), found by the Artikelnummer the mapping gives (the SKU): a missing one
/// is created, its Memo saying which shop it came from; an existing one is Sage's and is left as it is.
/// </summary>
internal sealed class SageArticleTarget(SageOfficeLineConnector connector, SageWriteMapping mapping, StreamContext context, ILogger logger)
    : SageTarget(connector, mapping, context, logger)
{
    protected override IReadOnlyList<string> RequiredTables => [Sage.Artikel];

    protected override async Task<(string TargetId, string? Skipped)> WriteAsync(SageSession session, Entity record, MappedRow row, CancellationToken cancellationToken)
    {
        var product = (Product)record;
        var number = Mapping.Of(Sage.Artikel).First(c => string.Equals(c.Column, "Artikelnummer", StringComparison.OrdinalIgnoreCase));
        var artikelnummer = Articles.Number(row.Fields[number.Index].Value, number.Field);
        var columns = SageWriteMapping.Values(row, Mapping.Of(Sage.Artikel).Where(c => c != number));
        var article = await Articles.ResolveAsync(session, artikelnummer, columns, $"Angelegt aus Shop-Artikel {product.Sku} ({Shop}) durch SyncEngine",
            new Dictionary<string, ResolvedArticle>(StringComparer.OrdinalIgnoreCase), cancellationToken, variants: false);
        return (article.Artikelnummer, article.Created ? null : "the article exists in Sage, which keeps its own articles");
    }
}
