using Microsoft.Extensions.DependencyInjection;
using SyncEngine.Connectors.Database;
using SyncEngine.Connectors.Files;
using SyncEngine.Connectors.SageOfficeLine;
using SyncEngine.Connectors.ShopRenter;

namespace SyncEngine.Cli;

/// <summary>The connectors this build of syncengine ships with.</summary>
public static class Connectors
{
    public static void AddAll(IServiceCollection services)
    {
        services.AddFilesConnector();
        services.AddDatabaseConnector();
        services.AddShopRenterConnector();
        services.AddSageOfficeLineConnector();
    }
}
