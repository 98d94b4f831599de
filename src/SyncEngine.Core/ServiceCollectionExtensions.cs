using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;

namespace SyncEngine.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the flow runner, connection registry and validator. The state store is added by the host.</summary>
    public static IServiceCollection AddSyncEngineCore(this IServiceCollection services, IConfiguration configuration, EngineEnvironment environment)
    {
        services.AddOptions<SyncEngineOptions>().Bind(configuration.GetSection(SyncEngineOptions.Section));
        services.TryAddSingleton(configuration);
        services.TryAddSingleton(environment);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConnectorRegistry>();
        services.TryAddSingleton<EngineValidator>();
        services.TryAddSingleton<FlowRunner>();
        return services;
    }

    /// <summary>Makes a connector type available to connections whose <c>Type</c> names it.</summary>
    public static IServiceCollection AddConnector<TFactory>(this IServiceCollection services)
        where TFactory : class, IConnectorFactory
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectorFactory, TFactory>());
        return services;
    }
}
