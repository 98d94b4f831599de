using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;
using SyncEngine.Core.Configuration;
using SyncEngine.Core.Connectors;
using SyncEngine.Core.Flows;
using SyncEngine.Core.State;
using SyncEngine.Host;

namespace SyncEngine.Cli;

internal sealed class Commands(CliConsole console, Action<IServiceCollection> addConnectors)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly Option<string?> _config = new("--config", "-c")
    {
        Description = "Configuration file to use instead of appsettings.json; relative paths in it resolve against its folder",
        Recursive = true,
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON for scripts instead of text" };
    private readonly Option<string?> _flowOption = new("--flow") { Description = "Only this flow" };
    private readonly Option<long?> _id = new("--id") { Description = "Only the dead letter with this id" };

    public RootCommand Build()
    {
        var root = new RootCommand("SyncEngine: keeps web shops, marketplaces, ERP systems, suppliers and loyalty programmes in sync.");
        root.Options.Add(_config);
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(Flows());
        root.Subcommands.Add(Sync());
        root.Subcommands.Add(Runs());
        root.Subcommands.Add(Validate());
        root.Subcommands.Add(DeadLetters());
        return root;
    }

    private Command Serve()
    {
        var command = new Command("serve", "Run the service in the foreground: every enabled flow on its schedule, plus the local control API");
        command.SetAction(async (parse, _) =>
        {
            var config = EngineConfiguration.Load(parse.GetValue(_config));
            await using (var engine = await OpenAsync(config))
            {
                // Validation before anything starts: a broken config must stop the service, naming the key.
            }
            Directory.SetCurrentDirectory(config.Environment.BaseDirectory);
            await using var app = ServiceHost.Build(config, addConnectors);
            await app.RunAsync();
            return CliApp.Success;
        });
        return command;
    }

    private Command Flows()
    {
        var command = new Command("flows", "List the configured flows with their last run and status") { _json };
        command.SetAction(async (parse, ct) =>
        {
            await using var engine = await OpenAsync(EngineConfiguration.Load(parse.GetValue(_config)), validate: false);
            var state = engine.Get<IStateStore>();
            var leases = (await state.GetFlowLeasesAsync(ct)).ToDictionary(l => l.Flow, StringComparer.OrdinalIgnoreCase);
            var rows = new List<FlowRow>();
            foreach (var flow in engine.Get<ConnectorRegistry>().Flows)
            {
                var runs = await state.GetRunsAsync(flow.Name, 50, ct);
                var running = leases.TryGetValue(flow.Name, out var lease) && lease.ExpiresAt > DateTimeOffset.UtcNow;
                rows.Add(new FlowRow(flow.Name, flow.From.ToString(), flow.To.ToString(), flow.Schedule, flow.Enabled,
                    runs.Count == 0 ? null : RunReport.From(runs[0]), runs.FirstOrDefault()?.StartedAt, Health(runs, running, out var failingSince), failingSince));
            }
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(rows, Json));
                return CliApp.Success;
            }
            console.Table(["FLOW", "FROM", "TO", "SCHEDULE", "ENABLED", "LAST RUN", "STATUS"],
                rows.Select(r => new[] { r.Name, r.From, r.To, r.Schedule ?? "manual", r.Enabled ? "yes" : "no",
                    r.LastRunAt is null ? "never" : $"{Local(r.LastRunAt.Value)} {r.LastRun!.Status}", r.Status }));
            return CliApp.Success;
        });
        return command;
    }

    private Command Sync()
    {
        var flowArgument = new Argument<string?>("flow") { Description = "Name of the flow to run", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Run every enabled flow, one after the other, in name order" };
        var full = new Option<bool>("--full") { Description = "Read everything from the start and write every record, ignoring the cursor and checksums" };
        var command = new Command("sync", "Run one flow now; through the running service when it answers, else in this process") { flowArgument, all, full, _json };
        command.SetAction(async (parse, _) =>
        {
            var config = EngineConfiguration.Load(parse.GetValue(_config));
            var name = parse.GetValue(flowArgument);
            var json = parse.GetValue(_json);
            if (name is null == !parse.GetValue(all))
            {
                console.Error.WriteLine("Name one flow, or use --all.");
                return CliApp.UsageError;
            }
            await using var engine = await OpenAsync(config);
            var registry = engine.Get<ConnectorRegistry>();
            var flows = name is null
                ? registry.Flows.Where(f => f.Enabled).ToList()
                : [registry.FindFlow(name) ?? throw new ConfigurationException($"{SyncEngineOptions.Section}:Flows:{name}",
                    $"flow '{name}' is not defined; defined flows: {string.Join(", ", registry.Flows.Select(f => f.Name))}")];

            using var stop = new CancellationTokenSource();
            using var abort = new CancellationTokenSource();
            using var interrupt = OnInterrupt(stop, abort);
            var options = engine.Get<IOptions<SyncEngineOptions>>().Value;
            var client = new ControlClient(options.Control, config.Environment);
            var reports = new List<RunReport>();
            foreach (var flow in flows)
            {
                if (stop.IsCancellationRequested) break;
                var report = await client.TrySyncAsync(flow.Name, parse.GetValue(full), abort.Token);
                if (report is not null)
                {
                    if (!json) console.Error.WriteLine($"Run by the service listening on 127.0.0.1:{options.Control.Port}.");
                }
                else
                {
                    var run = await RunWithProgressAsync(engine.Get<FlowRunner>(), flow.Name, parse.GetValue(full), json, stop.Token, abort.Token);
                    report = RunReport.From(run);
                }
                reports.Add(report);
                if (!json) PrintReport(report, json: false);
            }
            if (json) console.Out.WriteLine(name is null ? JsonSerializer.Serialize(reports, Json) : JsonSerializer.Serialize(reports[0], Json));
            // A failure outweighs dead letters, which outweigh success.
            return reports.Any(r => r.ExitCode == CliApp.Failed) ? CliApp.Failed : reports.Max(r => (int?)r.ExitCode) ?? CliApp.Success;
        });
        return command;
    }

    private Command Runs()
    {
        var last = new Option<int>("--last") { Description = "How many runs to show", DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "Show the run history") { _flowOption, last, _json };
        command.SetAction(async (parse, ct) =>
        {
            await using var engine = await OpenAsync(EngineConfiguration.Load(parse.GetValue(_config)), validate: false);
            var runs = await engine.Get<IStateStore>().GetRunsAsync(parse.GetValue(_flowOption), parse.GetValue(last), ct);
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(runs.Select(r => new
                {
                    id = r.Id, flow = r.Flow, status = RunReport.StatusName(r.Status), trigger = r.Trigger, full = r.Full, startedAt = r.StartedAt,
                    finishedAt = r.FinishedAt, read = r.Read, written = r.Written, skipped = r.Skipped, deadLettered = r.DeadLettered,
                    durationMs = (long)r.Duration.TotalMilliseconds, error = r.Error, node = r.Node,
                }), Json));
                return CliApp.Success;
            }
            console.Table(["RUN", "FLOW", "STATUS", "STARTED", "DURATION", "READ", "WRITTEN", "SKIPPED", "DEAD", "ERROR"],
                runs.Select(r => new[] { r.Id.ToString(CultureInfo.InvariantCulture), r.Flow, RunReport.StatusName(r.Status), Local(r.StartedAt),
                    r.FinishedAt is null ? "running" : Seconds(r.Duration), N(r.Read), N(r.Written), N(r.Skipped), N(r.DeadLettered), Short(r.Error) }));
            return CliApp.Success;
        });
        return command;
    }

    private Command Validate()
    {
        var command = new Command("validate", "Check the configuration and every mapping; list every problem with its file and key");
        command.SetAction(async (parse, _) =>
        {
            var config = EngineConfiguration.Load(parse.GetValue(_config));
            await using var engine = await OpenAsync(config, validate: false);
            var errors = engine.Get<EngineValidator>().Validate();
            if (errors.Count > 0)
            {
                console.PrintConfigErrors(errors);
                return CliApp.UsageError;
            }
            var options = engine.Get<IOptions<SyncEngineOptions>>().Value;
            console.Out.WriteLine($"{config.ConfigFile}: valid ({options.Connections.Count} connections, {options.Flows.Count} flows, " +
                $"{options.Flows.Values.Count(f => !string.IsNullOrWhiteSpace(f.Mapping))} mappings).");
            return CliApp.Success;
        });
        return command;
    }

    private Command DeadLetters()
    {
        var command = new Command("deadletters", "Records that could not be read or written, with the reason");

        var list = new Command("list", "List dead letters") { _flowOption, _id, _json };
        list.SetAction(async (parse, ct) =>
        {
            await using var engine = await OpenAsync(EngineConfiguration.Load(parse.GetValue(_config)), validate: false);
            var letters = await engine.Get<IStateStore>().GetDeadLettersAsync(parse.GetValue(_flowOption), parse.GetValue(_id), ct);
            if (parse.GetValue(_json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(letters, Json));
                return CliApp.Success;
            }
            console.Table(["ID", "FLOW", "RECORD", "ATTEMPTS", "LAST FAILED", "ERROR"],
                letters.Select(d => new[] { d.Id.ToString(CultureInfo.InvariantCulture), d.Flow, d.RecordKey, d.Attempts.ToString(CultureInfo.InvariantCulture),
                    Local(d.LastFailedAt), d.Error }));
            return CliApp.Success;
        });

        var retry = new Command("retry", "Write dead-lettered records again, after the cause is fixed") { _flowOption, _id, _json };
        retry.SetAction(async (parse, ct) =>
        {
            await using var engine = await OpenAsync(EngineConfiguration.Load(parse.GetValue(_config)));
            var letters = await engine.Get<IStateStore>().GetDeadLettersAsync(parse.GetValue(_flowOption), parse.GetValue(_id), ct);
            var exit = CliApp.Success;
            var reports = new List<RunReport>();
            foreach (var flow in letters.Select(d => d.Flow).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var run = await engine.Get<FlowRunner>().RetryDeadLettersAsync(flow, parse.GetValue(_id), ct);
                var report = RunReport.From(run);
                reports.Add(report);
                if (!parse.GetValue(_json)) PrintReport(report, json: false);
                exit = Math.Max(exit, report.ExitCode == CliApp.Failed ? 4 : report.ExitCode);
            }
            if (parse.GetValue(_json)) console.Out.WriteLine(JsonSerializer.Serialize(reports, Json));
            else if (letters.Count == 0) console.Out.WriteLine("No dead letters to retry.");
            return exit == 4 ? CliApp.Failed : exit;
        });

        var all = new Option<bool>("--all") { Description = "Drop every dead letter of every flow" };
        var drop = new Command("drop", "Delete dead letters for good") { _flowOption, _id, all };
        drop.SetAction(async (parse, ct) =>
        {
            var flow = parse.GetValue(_flowOption);
            var id = parse.GetValue(_id);
            if (flow is null && id is null && !parse.GetValue(all))
            {
                console.Error.WriteLine("Say which dead letters to drop: --flow F, --id N, or --all.");
                return CliApp.UsageError;
            }
            await using var engine = await OpenAsync(EngineConfiguration.Load(parse.GetValue(_config)), validate: false);
            var dropped = await engine.Get<IStateStore>().DropDeadLettersAsync(flow, id, ct);
            console.Out.WriteLine($"Dropped {dropped} dead letter(s).");
            return CliApp.Success;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(retry);
        command.Subcommands.Add(drop);
        return command;
    }

    /// <param name="validate">Check the configuration first; a system that cannot be reached is left to fail the run itself.</param>
    private async Task<Engine> OpenAsync(EngineConfiguration config, bool validate = true)
    {
        var services = new ServiceCollection().AddSyncEngine(config, addConnectors).BuildServiceProvider();
        var engine = new Engine(services);
        try
        {
            if (validate) services.GetRequiredService<EngineValidator>().EnsureValid(allowUnreachable: true);
            await services.GetRequiredService<IStateStore>().InitializeAsync(CancellationToken.None);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    private async Task<RunRecord> RunWithProgressAsync(FlowRunner runner, string flow, bool full, bool json, CancellationToken stop, CancellationToken abort)
    {
        if (console.Interactive && !json)
        {
            RunRecord? result = null;
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(flow));
                task.IsIndeterminate = true;
                var progress = new Progress<RunProgress>(p => task.Description =
                    Markup.Escape($"{flow}: read {p.Read:N0}, written {p.Written:N0}, skipped {p.Skipped:N0}, dead-lettered {p.DeadLettered:N0}"));
                result = await runner.RunAsync(flow, new RunOptions { Full = full, StopRequested = stop, Progress = progress }, abort);
                task.StopTask();
            });
            return result!;
        }

        var lastLine = DateTimeOffset.MinValue;
        var plain = json ? null : new SyncProgress(p =>
        {
            // Redirected output gets a line at most every two seconds, not one per batch.
            if (DateTimeOffset.UtcNow - lastLine < TimeSpan.FromSeconds(2)) return;
            lastLine = DateTimeOffset.UtcNow;
            console.Out.WriteLine($"{flow}: read {p.Read}, written {p.Written}, skipped {p.Skipped}, dead-lettered {p.DeadLettered}");
        });
        return await runner.RunAsync(flow, new RunOptions { Full = full, StopRequested = stop, Progress = plain }, abort);
    }

    private void PrintReport(RunReport report, bool json)
    {
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(report, Json));
            return;
        }
        console.Out.WriteLine($"Flow {report.Flow}: {report.Status}. Read {report.Read}, written {report.Written}, skipped {report.Skipped}, " +
            $"dead-lettered {report.DeadLettered} in {Seconds(TimeSpan.FromMilliseconds(report.DurationMs))}.");
        if (report.Error is not null) console.Out.WriteLine("  " + report.Error);
        if (report.DeadLettered > 0) console.Out.WriteLine($"  See them with: syncengine deadletters list --flow {report.Flow}");
    }

    private static string Health(IReadOnlyList<RunRecord> runs, bool running, out DateTimeOffset? failingSince)
    {
        failingSince = null;
        if (running) return "running";
        if (runs.Count == 0) return "never run";
        var failed = runs.TakeWhile(r => r.Status == RunStatus.Failed).ToList();
        if (failed.Count > 0)
        {
            failingSince = failed[^1].StartedAt;
            return $"failing since {Local(failed[^1].StartedAt)} ({failed.Count} run{(failed.Count == 1 ? "" : "s")}): {Short(failed[0].Error)}";
        }
        return RunReport.StatusName(runs[0].Status);
    }

    private static IDisposable OnInterrupt(CancellationTokenSource stop, CancellationTokenSource abort)
    {
        void Interrupt()
        {
            if (stop.IsCancellationRequested) abort.Cancel();
            else stop.Cancel();
        }
        ConsoleCancelEventHandler handler = (_, e) =>
        {
            e.Cancel = true;
            Interrupt();
        };
        Console.CancelKeyPress += handler;
        var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Interrupt();
        });
        return new Unsubscribe(() =>
        {
            Console.CancelKeyPress -= handler;
            sigterm.Dispose();
        });
    }

    private static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Short(string? text) => text is null ? string.Empty : text.Length <= 80 ? text : text[..77] + "...";

    private sealed record FlowRow(string Name, string From, string To, string? Schedule, bool Enabled, RunReport? LastRun, DateTimeOffset? LastRunAt,
        string Status, DateTimeOffset? FailingSince);

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>Reports synchronously, so the plain lines keep their order.</summary>
    private sealed class SyncProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }

    private sealed class Engine(ServiceProvider services) : IAsyncDisposable
    {
        public T Get<T>() where T : notnull => services.GetRequiredService<T>();

        public async ValueTask DisposeAsync()
        {
            await services.GetRequiredService<ConnectorRegistry>().DisposeAsync();
            await services.DisposeAsync();
        }
    }
}
