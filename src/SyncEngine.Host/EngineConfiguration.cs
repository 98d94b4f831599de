using Microsoft.Extensions.Configuration;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;

namespace SyncEngine.Host;

/// <summary>
/// Loads the configuration: <c>appsettings.json</c> (or the file given with <c>--config</c> instead of it),
/// <c>appsettings.{Environment}.json</c> beside it, then environment variables such as
/// <c>SyncEngine__Connections__shop__ClientSecret</c>. Relative paths resolve against the configuration file's folder.
/// </summary>
public sealed record EngineConfiguration(IConfigurationRoot Configuration, EngineEnvironment Environment, string ConfigFile)
{
    public const string DefaultFileName = "appsettings.json";

    public static EngineConfiguration Load(string? configFile)
    {
        var file = configFile is not null ? Path.GetFullPath(configFile) : FindDefault();
        if (configFile is not null && !File.Exists(file))
            throw new ConfigurationException("--config", $"configuration file '{configFile}' not found");
        var baseDirectory = Path.GetDirectoryName(file)!;
        var environmentName = System.Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .SetBasePath(baseDirectory)
                .AddJsonFile(Path.GetFileName(file), optional: configFile is null && !File.Exists(file), reloadOnChange: false)
                .AddJsonFile($"{Path.GetFileNameWithoutExtension(file)}.{environmentName}.json", optional: true, reloadOnChange: false)
                .AddEnvironmentVariables()
                .Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigurationException(Path.GetFileName(file), ex.InnerException?.Message ?? ex.Message, file);
        }

        SyncEngineOptions options;
        try
        {
            options = configuration.GetSection(SyncEngineOptions.Section).Get<SyncEngineOptions>() ?? new SyncEngineOptions();
            // The binder drops a dictionary entry it cannot convert instead of failing; bind each flow alone so it fails loudly.
            foreach (var flow in configuration.GetSection($"{SyncEngineOptions.Section}:Flows").GetChildren()) flow.Get<FlowOptions>();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key: "Failed to convert configuration value at 'SyncEngine:Flows:x:BatchSize' to type 'System.Int32'."
            throw new ConfigurationException(SyncEngineOptions.Section, ex.Message, file);
        }
        var dataDirectory = Path.GetFullPath(options.DataDirectory, baseDirectory);
        return new EngineConfiguration(configuration, new EngineEnvironment(baseDirectory, dataDirectory), file);
    }

    public SyncEngineOptions Options =>
        Configuration.GetSection(SyncEngineOptions.Section).Get<SyncEngineOptions>() ?? new SyncEngineOptions();

    private static string FindDefault()
    {
        var home = System.Environment.GetEnvironmentVariable("SYNCENGINE_HOME");
        if (!string.IsNullOrEmpty(home)) return Path.Combine(Path.GetFullPath(home), DefaultFileName);
        var here = Path.Combine(Directory.GetCurrentDirectory(), DefaultFileName);
        return File.Exists(here) ? here : Path.Combine(AppContext.BaseDirectory, DefaultFileName);
    }
}
