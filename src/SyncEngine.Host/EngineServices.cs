using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;
using Serilog;
using Serilog.Events;
using SyncEngine.Core;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;

namespace SyncEngine.Host;

/// <summary>Everything a run needs, in the service and in a CLI command alike.</summary>
public static class EngineServices
{
    public static IServiceCollection AddSyncEngine(this IServiceCollection services, EngineConfiguration config, Action<IServiceCollection> addConnectors)
    {
        services.AddSingleton(config);
        services.AddSyncEngineCore(config.Configuration, config.Environment);
        services.AddSingleton<IScheduleValidator, CronScheduleValidator>();
        services.AddSingleton<IStateStore>(sp => CreateStateStore(sp.GetRequiredService<IOptions<SyncEngineOptions>>().Value.State, config.Environment));
        services.AddLogging();
        services.AddSerilog((_, logger) => ConfigureLogging(logger, config), writeToProviders: false);
        addConnectors(services);
        return services;
    }

    public static void ConfigureLogging(LoggerConfiguration logger, EngineConfiguration config)
    {
        var serilog = config.Configuration.GetSection("Serilog");
        if (serilog.Exists())
        {
            // File sinks' relative paths resolve beside the configuration, like every other path in it.
            var paths = serilog.GetSection("WriteTo").GetChildren()
                .Select(sink => sink.GetSection("Args:path"))
                .Where(path => !string.IsNullOrEmpty(path.Value) && !Path.IsPathRooted(path.Value))
                .ToDictionary(path => path.Path, path => (string?)config.Environment.Resolve(path.Value!));
            var effective = new ConfigurationBuilder().AddConfiguration(config.Configuration).AddInMemoryCollection(paths).Build();
            logger.ReadFrom.Configuration(effective);
        }
        else
        {
            // No Serilog section: warnings to standard error, so command output on standard out stays clean.
            logger.MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
        }
        logger.Enrich.FromLogContext();
        // ASP.NET Core logs each request's URL below Warning, and a webhook's URL holds its secret: those never reach a log,
        // whatever level an administrator sets.
        logger.Filter.ByExcluding(e => e.Level < LogEventLevel.Warning && e.Properties.TryGetValue("SourceContext", out var source)
            && source is ScalarValue { Value: string name } && name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    public static IStateStore CreateStateStore(StateOptions options, EngineEnvironment environment)
    {
        return options.Provider switch
        {
            StateProvider.PostgreSql => new AdoStateStore(NpgsqlDataSource.Create(options.ConnectionString!), StateDialect.PostgreSql),
            _ => new AdoStateStore(CreateSqliteDataSource(options.ConnectionString, environment), StateDialect.Sqlite),
        };
    }

    private static DbDataSource CreateSqliteDataSource(string? connectionString, EngineEnvironment environment)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString ?? string.Empty);
        if (string.IsNullOrEmpty(builder.DataSource)) builder.DataSource = Path.Combine(environment.DataDirectory, "state.db");
        builder.DataSource = environment.Resolve(builder.DataSource);
        if (builder.DefaultTimeout == 30) builder.DefaultTimeout = 60;
        Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        return SqliteFactory.Instance.CreateDataSource(builder.ConnectionString);
    }

    private sealed class CronScheduleValidator : IScheduleValidator
    {
        public string? Validate(string expression)
        {
            try
            {
                CronExpression.Parse(expression);
                return null;
            }
            catch (FormatException ex)
            {
                return ex.Message;
            }
        }
    }
}
