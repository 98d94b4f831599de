using SyncEngine.Cli;

return await CliApp.RunAsync(args, Connectors.AddAll);
