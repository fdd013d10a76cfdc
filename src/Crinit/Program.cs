using ClusterRegistry.Crinit.Cli;

return await CrinitCommand.Build().Parse(args).InvokeAsync();
