using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dapper;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

/// <summary>
/// Several nodes on one PostgreSQL database, each with a data folder of its own: whatever one node stored (users,
/// tokens, accounts with their encrypted Discord tokens, result files) every other node uses.
/// </summary>
public sealed class ClusterStoresTests
{
    private const string OnSqlite = "several nodes share their stores on PostgreSQL only: this run keeps them in each node's SQLite file";
    private const string Channel = "1100000000000000001";

    [SkippableFact]
    public async Task Nodes_starting_together_on_an_empty_database_share_one_bootstrap_user()
    {
        Skip.IfNot(RunningServer.OnPostgres, OnSqlite);
        var nodes = await RunningServer.StartClusterAsync(3);
        try
        {
            foreach (var node in nodes)
                Assert.Equal(HttpStatusCode.NotFound, (await node.Client.GetAsync("account")).StatusCode); // accepted, no channels yet
            await using var database = await nodes[0].OpenDatabaseAsync();
            Assert.Equal(["bootstrap"], await database.QueryAsync<string>("SELECT name FROM users"));
            Assert.Equal(1, await database.ExecuteScalarAsync<long>("SELECT count(*) FROM api_tokens WHERE revoked IS NULL"));
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task An_account_saved_through_one_node_is_read_with_its_discord_token_by_another()
    {
        Skip.IfNot(RunningServer.OnPostgres, OnSqlite);
        var nodes = await RunningServer.StartClusterAsync(2);
        try
        {
            var saved = await nodes[0].Client.PostAsJsonAsync($"account/{Channel}", new { discord = "MTAxSecretDiscordTokenXyZ", server = "1200000000000000001", channel = Channel });
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);

            // The other node decrypts the token with the key ring both share (shown masked, as always).
            var read = await nodes[1].Client.GetAsync($"account/{Channel}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("MTA…secured…XyZ", (string?)(await read.JsonAsync())["discord"]);
            Assert.DoesNotContain("MTAxSecretDiscordTokenXyZ", await nodes[1].StoredTextAsync());
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_result_file_is_served_by_every_node()
    {
        Skip.IfNot(RunningServer.OnPostgres, OnSqlite);
        var engine = new GatedEngine { AutoComplete = true };
        var nodes = await RunningServer.StartClusterAsync(2, services: services => services.AddSingleton<IEngine>(engine));
        try
        {
            await nodes[0].AddAccountAsync(await nodes[0].BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
            var job = await (await nodes[0].Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)))).JsonAsync();
            Assert.Equal("completed", (string?)job["status"]);
            var url = new Uri((string)job["attachments"]![0]!["url"]!);

            using var anonymous = new HttpClient();
            foreach (var node in nodes)
            {
                var file = await anonymous.GetAsync(new Uri(node.BaseUrl, url.PathAndQuery));
                Assert.Equal(HttpStatusCode.OK, file.StatusCode);
                Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
            }
            var status = await (await nodes[1].Client.GetAsync($"jobs/?jobid={job["jobid"]}")).JsonAsync();
            Assert.Equal("completed", (string?)status["status"]);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_revoke_through_the_users_cli_turns_the_next_call_away_on_every_node()
    {
        Skip.IfNot(RunningServer.OnPostgres, OnSqlite);
        var nodes = await RunningServer.StartClusterAsync(2);
        try
        {
            var output = new StringWriter();
            var cli = new RootCommand { UsersCommand.Create(nodes[0].CliUserStore, output) };
            Assert.Equal(0, await cli.Parse(["users", "add", "carol"]).InvokeAsync());
            var token = Regex.Match(output.ToString(), "fs_[A-Za-z0-9_-]{43}").Value;
            var clients = nodes.Select(node => node.CreateClient(token)).ToList();
            // Both nodes accept the token, and so have it in their token caches.
            foreach (var client in clients) Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);

            Assert.Equal(0, await cli.Parse(["users", "revoke", "carol"]).InvokeAsync());

            foreach (var client in clients) Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
            foreach (var client in clients) client.Dispose();
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Nodes_pointed_at_one_standalone_sandbox_share_its_channel_and_the_bots_saved_ids()
    {
        Skip.IfNot(RunningServer.OnPostgres, OnSqlite);
        // The emulator outside the servers, as a standalone sandbox runs (docs/sandbox.md, "Several nodes").
        await using var sandbox = await HostedSandbox.StartAsync(channels: 1, asyncResultDelay: TimeSpan.FromSeconds(1));
        var channel = sandbox.Channels[0];
        var settings = sandbox.ServerSettings().ToDictionary(s => s.Key, s => (string?)s.Value);
        // The sandbox shares the nodes' clock. With a margin, the swap's node could take the save's reply (sent through
        // the other node, within the margin) for its own: which replies a node already matched is not yet shared.
        settings["FaceSwap:Discord:ClockSkewMargin"] = "00:00:00";
        var nodes = await RunningServer.StartClusterAsync(2, settings);
        try
        {
            var saved = await nodes[0].Client.PostAsJsonAsync($"account/{channel.Channel}", new { discord = channel.Token, server = channel.Guild, channel = channel.Channel });
            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);

            var created = await (await nodes[0].Client.PostAsync("saveid",
                Forms.Multipart(("channel", channel.Channel), ("idname", "mine"), ("image", SandboxedServer.FacePhoto(seed: 5))))).JsonAsync();
            Assert.True((string?)created["status"] == "completed", created.ToJsonString());
            var swapped = await (await nodes[1].Client.PostAsync("swapid",
                Forms.Multipart(("channel", channel.Channel), ("idname", "mine"), ("image", SandboxedServer.FacePhoto(128, seed: 6))))).JsonAsync();
            Assert.True((string?)swapped["status"] == "completed", swapped.ToJsonString());
            Assert.Contains("[SaveID: 'mine']", (string?)swapped["content"]);
            Assert.Contains("mine", sandbox.Server.State.FindChannel(channel.Channel)!.SavedIds.Names);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}
