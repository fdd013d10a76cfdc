using System.Net;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Tests.UnitTests.Kubeconfig;

public sealed class EndpointSelectionTests
{
    private static ServerAddressByClientCidr Ep(string? cidr, string address) => new() { ClientCidr = cidr, ServerAddress = address };

    private static string? Pick(string client, params ServerAddressByClientCidr[] endpoints) =>
        EndpointSelection.Select(endpoints, IPAddress.Parse(client))?.ServerAddress;

    [Fact]
    public void Select_MostSpecificMatchingCidrWins_WhateverTheOrder()
    {
        Assert.Equal("lo", Pick("127.0.0.1", Ep("0.0.0.0/0", "any"), Ep("127.0.0.0/8", "lo")));
        Assert.Equal("lo", Pick("127.0.0.1", Ep("127.0.0.0/8", "lo"), Ep("0.0.0.0/0", "any")));
        Assert.Equal("host", Pick("10.1.2.3", Ep("10.0.0.0/8", "ten"), Ep("10.1.2.3/32", "host"), Ep("10.1.0.0/16", "sixteen")));
    }

    [Fact]
    public void Select_CidrNotContainingTheClient_IsSkipped()
    {
        Assert.Equal("any", Pick("192.168.1.5", Ep("127.0.0.0/8", "lo"), Ep("0.0.0.0/0", "any")));
    }

    [Fact]
    public void Select_NoCidrMatches_IsNull()
    {
        Assert.Null(Pick("192.168.1.5", Ep("127.0.0.0/8", "lo"), Ep("10.0.0.0/8", "ten")));
        Assert.Null(EndpointSelection.Select(null, IPAddress.Loopback));
        Assert.Null(EndpointSelection.Select([], IPAddress.Loopback));
    }

    [Fact]
    public void Select_FamiliesDoNotMix()
    {
        Assert.Null(Pick("127.0.0.1", Ep("::/0", "v6")));
        Assert.Null(Pick("::1", Ep("0.0.0.0/0", "v4")));
        Assert.Equal("v6", Pick("::1", Ep("0.0.0.0/0", "v4"), Ep("::/0", "v6")));
        Assert.Equal("ula", Pick("fd00::7", Ep("::/0", "v6"), Ep("fd00::/8", "ula")));
    }

    [Fact]
    public void Select_Ipv4MappedIpv6Client_MatchesIpv4Cidrs()
    {
        // Kestrel on a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
        Assert.Equal("lo", Pick("::ffff:127.0.0.1", Ep("0.0.0.0/0", "any"), Ep("127.0.0.0/8", "lo")));
    }

    [Fact]
    public void Select_HostBitsInCidr_AreIgnoredAsKubernetesDoes()
    {
        Assert.Equal("ten", Pick("10.9.9.9", Ep("10.1.2.3/8", "ten")));
    }

    [Fact]
    public void Select_EndpointWithoutCidr_MatchesEveryoneButLosesToAnyMatchingCidr()
    {
        Assert.Equal("plain", Pick("192.168.1.5", Ep(null, "plain"), Ep("10.0.0.0/8", "ten")));
        Assert.Equal("any", Pick("192.168.1.5", Ep("", "plain"), Ep("0.0.0.0/0", "any")));
    }

    [Fact]
    public void Select_TieOnPrefixLength_FirstListedWins()
    {
        Assert.Equal("first", Pick("10.0.0.1", Ep("10.0.0.0/8", "first"), Ep("10.0.0.0/8", "second")));
    }

    [Theory]
    [InlineData("10.0.0.1:6443", "https://10.0.0.1:6443")]
    [InlineData("prod.example.com", "https://prod.example.com")]
    [InlineData("https://prod.example.com:443", "https://prod.example.com:443")]
    [InlineData("fd00::1", "https://[fd00::1]")]
    [InlineData("[fd00::1]:6443", "https://[fd00::1]:6443")]
    public void ServerUrl_AddsHttpsAndBracketsIpv6(string address, string url) =>
        Assert.Equal(url, EndpointSelection.ServerUrl(address));
}
