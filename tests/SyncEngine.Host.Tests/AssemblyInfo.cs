// Each test starts a whole service host (Kestrel, Quartz, timers) and some race a flow run against the clock:
// run them one at a time so they do not compete for the cores (and with a concurrent build) and stay reliable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
