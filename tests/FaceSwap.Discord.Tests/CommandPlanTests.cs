using System.Text.Json.Nodes;
using FaceSwap.Core.Jobs;
using FaceSwap.Discord.Protocol;

namespace FaceSwap.Discord.Tests;

public class CommandPlanTests
{
    private static Job Job(Verb verb, Dictionary<string, string> fields) => new()
    {
        Id = "j1", UserId = 1, Verb = verb, Status = JobStatus.Created, Created = DateTimeOffset.UtcNow,
        Updated = DateTimeOffset.UtcNow, Channel = "c", Fields = fields,
    };

    [Fact]
    public void Swap_reads_the_defaults_saves_swaps_deletes_and_puts_the_defaults_back()
    {
        var steps = CommandPlan.For(Job(Verb.Swap, []), "fs1234abcd", previousDefaults: "me+her,_");

        Assert.Equal(["listid", "saveid", "swapid", "delid", "setid"], steps.Select(s => s.Command));
        Assert.Equal([StepRole.Setup, StepRole.Setup, StepRole.Main, StepRole.Cleanup, StepRole.Cleanup], steps.Select(s => s.Role));
        Assert.All(steps.Skip(1).Take(3), s => Assert.Equal("fs1234abcd", s.Options.First(o => o.Name == "idname").Value));
        Assert.Equal("me+her,_", steps[4].Options.Single().Value);
        Assert.Equal("saveid_image", steps[1].Options[1].InputFile);
        Assert.Equal("swapid_image", steps[2].Options[1].InputFile);

        // No default before the call: nothing to put back (deleting the one-off id leaves none).
        Assert.Equal(["listid", "saveid", "swapid", "delid"], CommandPlan.For(Job(Verb.Swap, []), "fs1234abcd", previousDefaults: "").Select(s => s.Command));
    }

    [Theory]
    [InlineData("Saved idnames (2/20): `me`, `her`\nCurrent default ID(s): `me+her,_`\nPrefer: none", "me+her,_")]
    [InlineData("Saved idnames (0/20): none\nCurrent default ID(s): none\nPrefer: none", "")]
    [InlineData("Saved idnames (0/20): none", null)]
    public void Listid_answers_name_the_default_ids(string content, string? defaults) =>
        Assert.Equal(defaults, InsightFaceSwapReply.DefaultIds(content));

    [Fact]
    public void One_off_names_are_valid_bot_idnames()
    {
        var name = CommandPlan.NewOneOffIdname();
        Assert.InRange(name.Length, 3, 10);
        Assert.True(name.All(char.IsAsciiLetterOrDigit));
        Assert.NotEqual(name, CommandPlan.NewOneOffIdname());
    }

    [Fact]
    public void Slash_command_payload_references_uploads_by_index()
    {
        var command = new ApplicationCommand("cmd1", "1090660574196674713", "ver1", "swapid", 1);
        var step = CommandPlan.For(Job(Verb.SwapId, new() { ["idname"] = "me --oldify 300" }), null)[0];
        var payload = InteractionPayload.Build(command, step, [new UploadedAttachment("a.png", "up/abc/a.png")], "g", "c", "s", "n1");

        Assert.Equal(2, (int)payload["type"]!);
        Assert.Equal("n1", (string)payload["nonce"]!);
        var data = payload["data"]!;
        Assert.Equal("cmd1", (string)data["id"]!);
        Assert.Equal("ver1", (string)data["version"]!);
        var options = data["options"]!.AsArray();
        Assert.Equal("me --oldify 300", (string)options[0]!["value"]!);
        Assert.Equal(11, (int)options[1]!["type"]!);
        Assert.Equal(0, (int)options[1]!["value"]!);
        Assert.Equal("up/abc/a.png", (string)data["attachments"]![0]!["uploaded_filename"]!);
    }

    [Fact]
    public void INSwapper_is_a_message_command_on_the_target()
    {
        var command = new ApplicationCommand("cmd2", "1090660574196674713", "ver2", "INSwapper", 3);
        var step = CommandPlan.For(Job(Verb.InSwapper, new() { ["targetMessageId"] = "777" }), null)[0];
        var data = InteractionPayload.Build(command, step, [], "g", "c", "s", "n")["data"]!;

        Assert.Equal(3, (int)data["type"]!);
        Assert.Equal("777", (string)data["target_id"]!);
        Assert.Null(data["options"]);
    }

    [Fact]
    public void Optional_options_are_left_out_when_empty()
    {
        var step = CommandPlan.For(Job(Verb.Headshot, new() { ["prompt"] = "a wizard" }), null)[0];
        Assert.Equal(["prompt"], step.Options.Select(o => o.Name));
        step = CommandPlan.For(Job(Verb.Headshot, new() { ["prompt"] = "a wizard", ["options"] = "--v2" }), null)[0];
        Assert.Equal(["prompt", "options"], step.Options.Select(o => o.Name));
    }

    [Fact]
    public void Snowflakes_compare_as_numbers_and_nonces_increase()
    {
        Assert.True(Snowflake.Compare("9", "10") < 0);
        var now = DateTimeOffset.UtcNow;
        var a = Snowflake.NewNonce(now);
        var b = Snowflake.NewNonce(now);
        Assert.True(Snowflake.Compare(a, b) < 0);
        Assert.InRange(Snowflake.ToTime(a), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Engine_state_round_trips()
    {
        var state = new DiscordJobState
        {
            Step = 1, Phase = StepPhase.AwaitingResult, Nonce = "n", After = "5", OneOffIdname = "fsx",
            FirstReplyMessageId = "9", TextTokens = ["[jobid: ab]"],
        };
        Assert.Equal(state.Serialize(), DiscordJobState.Parse(state.Serialize())!.Serialize());
        Assert.Null(DiscordJobState.Parse("not json"));
    }

    [Fact]
    public void Tokens_are_masked()
    {
        Assert.Equal("abc…secured…xyz", DiscordEngine.MaskToken("abcdefghijklmnopxyz"));
    }
}
