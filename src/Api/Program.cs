using ClusterRegistry.Api.Hosting;

return await CommandLine.Build().Parse(args).InvokeAsync();
