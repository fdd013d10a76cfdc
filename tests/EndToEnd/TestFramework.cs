// Tests of classes marked [Requires(...)] are reported as skipped, with the reason, when the machine lacks it.
[assembly: Xunit.TestFramework("ClusterRegistry.Tests.PrerequisiteTestFramework", "EndToEnd")]
