using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ClusterRegistry.Tests;

/// <summary>
/// xunit's framework, except that the tests of a class marked <see cref="RequiresAttribute"/> are discovered as
/// skipped, with the reason, when the prerequisite is missing (xunit 2 has no skipping at run time).
/// </summary>
public sealed class PrerequisiteTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider sources, IMessageSink sink)
        : XunitTestFrameworkDiscoverer(assembly, sources, sink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus,
            ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var reason = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresAttribute))
                .Select(a => Prerequisites.Missing(a.GetConstructorArguments().OfType<Prerequisite>().Single()))
                .FirstOrDefault(r => r is not null);
            if (reason is null || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            var skipped = new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}
