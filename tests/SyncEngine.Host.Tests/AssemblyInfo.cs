// Each test starts a whole service host (Kestrel, Quartz, timers) and several poll schedules against the clock;
// run them one at a time so they neither compete for the two cores nor share Quartz's process-wide scheduler registry.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
