using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// Whatever the seed draws, with every pattern and other users' traffic allowed, history stays a history Discord
/// could serve: no nonces, no ephemeral messages, one answer per visible interaction, follow-ups and results that
/// point at messages that exist, nothing of ours left loading.
/// </summary>
public sealed class PlanInvariantTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Every_random_plan_leaves_a_history_discord_could_serve(int seed)
    {
        await using var discord = await StartAsync(o =>
        {
            Unlimited(o);
            o.Replies = new ReplyPlanOptions { Seed = seed, Patterns = Enum.GetValues<ReplyPattern>(), OtherTraffic = 0.5 };
        });
        var commands = new (string Name, Option[] Options)[]
        {
            ("saveid", [new("idname", "me"), new("image", File: ("a.png", TestImages.Face()))]),
            ("listid", []),
            ("headshot", [new("prompt", "studio")]),
            ("setid", [new("idname", "me")]),
            ("changebg", [new("image", File: ("b.png", TestImages.Face(seed: 2))), new("a_background_photo_of", "a beach")]),
            ("listid", []),
        };
        int sent = 0;
        for (int round = 0; round < 2; round++)
            foreach (var (name, options) in commands) { await discord.SendAsync(name, options); sent++; }
        await discord.WaitUntilAsync(() => discord.Server.UnansweredInteractions == 0 && discord.Server.UnfinishedJobs == 0, TimeSpan.FromMinutes(10));

        var history = (await discord.GetJsonAsync($"channels/{ChannelId}/messages?limit=100")).AsArray().Select(m => m!.AsObject()).ToList();
        var byId = history.ToDictionary(m => (string)m["id"]!);
        Assert.All(history, m => Assert.False(m.ContainsKey("nonce")));
        Assert.All(history, m => Assert.Equal(0, (int)m["flags"]! & MessageFlags.Ephemeral));

        var ours = history.Where(m => (string?)m["interaction_metadata"]?["user"]?["id"] == discord.UserId).ToList();
        Assert.All(ours, m =>
        {
            Assert.Equal(discord.Server.State.BotUser.Id, (string)m["author"]!["id"]!);
            Assert.Equal(MessageTypes.ChatInputCommand, (int)m["type"]!);
            Assert.Equal(0, (int)m["flags"]! & MessageFlags.Loading); // every deferred answer arrived
        });
        var answers = ours.GroupBy(m => (string)m["interaction_metadata"]!["id"]!).ToList();
        var ephemeral = discord.Server.State.FindChannel(ChannelId)!.EphemeralMessages.Count;
        Assert.InRange(answers.Count + ephemeral, 1, sent);
        foreach (var answer in answers)
        {
            var followUps = answer.Where(m => m["interaction_metadata"]!["original_response_message_id"] is not null).ToList();
            Assert.InRange(followUps.Count, 0, 1);
            Assert.Equal(followUps.Count + 1, answer.Count());
            foreach (var followUp in followUps)
            {
                var original = byId[(string)followUp["interaction_metadata"]!["original_response_message_id"]!];
                Assert.Equal(answer.Key, (string)original["interaction_metadata"]!["id"]!);
                Assert.Equal(BotTexts.Interim(discord.UserId), (string)original["content"]!);
            }
        }
        foreach (var result in history.Where(m => (int)m["type"]! == MessageTypes.Reply))
        {
            var submitted = byId[(string)result["message_reference"]!["message_id"]!];
            string jobId = Regex.Match((string)result["content"]!, @"\[jobid: ([0-9a-f]{32})\]").Groups[1].Value;
            Assert.Contains($"Job Submitted [jobid: {jobId}]", (string)submitted["content"]!);
        }
    }
}
