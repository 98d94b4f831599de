using Microsoft.Extensions.DependencyInjection;

namespace SyncEngine.Cli;

/// <summary>The connectors this build of syncengine ships with.</summary>
public static class Connectors
{
    public static void AddAll(IServiceCollection services)
    {
    }
}
