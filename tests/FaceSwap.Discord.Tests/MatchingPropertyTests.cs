using CsCheck;
using FaceSwap.Discord.Polling;
using FaceSwap.Discord.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// The channel poller's matching over generated channel timelines: our commands sent one at a time (the
/// channel's turn), each answered in one of Discord's shapes (immediate, deferred LOADING edited in place,
/// interim + follow-up, private refusal, async "Job Submitted" then a reply or an edit), with other users'
/// answers of the same words, their LOADING edits, the bot's results for them, and people's chat in between.
/// Shapes from developers/interactions/receiving-and-responding.mdx; fields from developers/resources/message.mdx.
/// </summary>
public class MatchingPropertyTests
{
    private const string Bot = "1090660574196674713";
    private const string Us = "900000000000000001";
    private static readonly string[] Others = ["900000000000000002", "900000000000000003"];
    private static readonly string[] Commands = ["saveid", "listid", "swapid", "headshot"];
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_answer_goes_to_its_own_command_and_no_other_message_is_taken()
    {
        Gen.Int.Sample(seed => new Timeline(new Random(seed)).Check(), iter: 300);
    }

    private enum Shape { Immediate, Deferred, FollowUp, Private }

    /// <summary>One generated channel: plays the events in time order against a poller and checks what each command got.</summary>
    private sealed class Timeline(Random random)
    {
        private readonly List<(long At, Action Play)> events = [];
        private readonly Dictionary<int, HashSet<string>> expected = [];
        private readonly Dictionary<string, DiscordMessage> latest = [];
        private readonly List<DiscordMessage> page = [];
        private readonly List<(ReplyWait Wait, IDisposable Registration, int Command)> waiting = [];
        private readonly Dictionary<int, ReplyWait> waits = [];
        private readonly ChannelPoller poller = new("c", null!, new TestOptionsMonitor(new DiscordEngineOptions
        {
            FastPollInterval = TimeSpan.FromHours(1), SlowPollMin = TimeSpan.FromHours(1), SlowPollMax = TimeSpan.FromHours(1),
        }), TimeProvider.System, NullLogger.Instance);
        private int sequence;

        public void Check()
        {
            var sendAt = 1_000L;
            for (var k = 0; k < 6; k++)
            {
                var command = Commands[random.Next(Commands.Length)];
                var shape = (Shape)random.Next(4);
                var firstVisible = PlanOurs(k, command, shape, sendAt);
                PlanOtherTraffic(sendAt, firstVisible ?? sendAt + 30_000);
                // The next command goes out once this one's first answer is visible, or after its deadline.
                sendAt = (firstVisible ?? sendAt + 30_000) + random.Next(1, 4_000);
            }

            foreach (var (_, play) in events.OrderBy(e => e.At))
            {
                play();
            }
            Flush();

            for (var k = 0; k < 6; k++)
            {
                var got = Drain(waits[k]);
                var ids = got.Select(m => m.Id).ToHashSet();
                Assert.True(ids.SetEquals(expected[k]), $"command {k}: got {string.Join(",", ids)}, expected {string.Join(",", expected[k])}");
                foreach (var id in expected[k])
                {
                    // The last version delivered of each message is its final state (every edit was seen).
                    Assert.Equal(latest[id].Content, got.Last(m => m.Id == id).Content);
                }
            }
        }

        /// <summary>Plans one command of ours; answers its first visible answer's time, null when it has none.</summary>
        private long? PlanOurs(int k, string command, Shape shape, long sendAt)
        {
            expected[k] = [];
            At(sendAt, () =>
            {
                Flush();
                var expectation = new ReplyExpectation
                {
                    UserId = Us,
                    CommandName = command,
                    SentAfter = Snowflake.Max(Snowflake.FromTime(Start.AddMilliseconds(sendAt) - TimeSpan.FromSeconds(3)), poller.ClaimedUpTo),
                };
                var wait = new ReplyWait(expectation, () => false);
                waits[k] = wait;
                waiting.Add((wait, poller.Add("t", wait), k));
            });
            var jobId = command == "headshot" ? $"[jobid: {random.Next():x8}{k:x24}]" : null;
            var text = jobId is null ? $"idname me created" : $"<@{Us}> Picsi.Ai Headshot Job Submitted {jobId}";
            var t = sendAt + random.Next(50, 2_500);
            string? first = null;
            switch (shape)
            {
                case Shape.Private:
                    At(sendAt + 30_000, () => Finish(k));
                    return null;
                case Shape.Immediate:
                    first = Post(k, t, Answer(Us, command, text));
                    break;
                case Shape.Deferred:
                    first = Post(k, t, Answer(Us, command, "", flags: DiscordMessage.LoadingFlag));
                    Edit(t + random.Next(100, 5_000), first, m => m with { Content = text, Flags = 0 });
                    break;
                case Shape.FollowUp:
                    var interim = Post(k, t, Answer(Us, command, $"<@{Us}> Your command was received and is being processed…"));
                    first = interim;
                    Post(k, t + random.Next(100, 5_000), Answer(Us, null, text, original: interim));
                    break;
            }
            if (jobId is not null)
            {
                var resultAt = t + random.Next(5_000, 60_000);
                var submitted = shape == Shape.FollowUp ? null : first;
                if (submitted is not null && random.Next(2) == 0)
                {
                    Edit(resultAt, submitted, m => m with { Content = $"<@{Us}> Picsi.Ai Headshot Job Completed {jobId}", Attachments = [new DiscordAttachment("r")] });
                }
                else
                {
                    Post(k, resultAt, new DiscordMessage
                    {
                        Id = "", Type = DiscordMessage.ReplyType, Author = new DiscordUser(Bot),
                        Content = $"<@{Us}> Picsi.Ai Headshot Job Completed {jobId}", Attachments = [new DiscordAttachment("r")],
                        MessageReference = submitted is null ? null : new DiscordMessageReference(submitted),
                    });
                }
                At(resultAt + 1, () => Finish(k));
            }
            else
            {
                At(t + 6_000, () => Finish(k));
            }
            return t;
        }

        private void PlanOtherTraffic(long from, long to)
        {
            for (var i = random.Next(0, 6); i > 0; i--)
            {
                var at = from + random.NextInt64(0, Math.Max(1, to - from + 5_000));
                var other = Others[random.Next(Others.Length)];
                var command = Commands[random.Next(Commands.Length)];
                switch (random.Next(5))
                {
                    case 0: // another user's answer, word for word what ours would say
                        Post(null, at, Answer(other, command, "idname me created"));
                        break;
                    case 1: // another user's deferred answer, edited later
                        var loading = Post(null, at, Answer(other, command, "", flags: DiscordMessage.LoadingFlag));
                        Edit(at + random.Next(100, 5_000), loading, m => m with { Content = "idname me created", Flags = 0 });
                        break;
                    case 2: // people talking
                        Post(null, at, new DiscordMessage { Id = "", Type = 0, Author = new DiscordUser(other), Content = "idname me created [jobid: 1234]" });
                        break;
                    case 3: // another user's follow-up, pointing at an answer of theirs
                        Post(null, at, Answer(other, null, "[SaveID: 'me']", original: Id(at - 1_000)));
                        break;
                    default: // the bot's async result for someone else
                        Post(null, at, new DiscordMessage
                        {
                            Id = "", Type = DiscordMessage.ReplyType, Author = new DiscordUser(Bot),
                            Content = $"<@{other}> Picsi.Ai Headshot Job Completed [jobid: {random.Next():x32}]", Attachments = [new DiscordAttachment("x")],
                        });
                        break;
                }
            }
        }

        private static DiscordMessage Answer(string user, string? command, string content, int flags = 0, string? original = null) => new()
        {
            Id = "",
            Type = DiscordMessage.ChatInputCommandType,
            Author = new DiscordUser(Bot),
            Content = content,
            Flags = flags,
            InteractionMetadata = new DiscordInteractionMetadata(Id: "1", Type: 2, User: new DiscordUser(user), OriginalResponseMessageId: original),
            Interaction = command is null ? null : new DiscordMessageInteraction("1", 2, command, new DiscordUser(user)),
        };

        /// <summary>Schedules a new message at <paramref name="at"/>; its id is made now so others can refer to it.</summary>
        private string Post(int? ours, long at, DiscordMessage message)
        {
            var id = Id(at);
            if (ours is { } k)
            {
                expected[k].Add(id);
            }
            At(at, () =>
            {
                var posted = message with { Id = id };
                latest[id] = posted;
                page.Add(posted);
            });
            return id;
        }

        /// <summary>An edit in place: same id, <c>edited_timestamp</c> set; seen only by reading the message again.</summary>
        private void Edit(long at, string id, Func<DiscordMessage, DiscordMessage> change) => At(at, () =>
        {
            Flush();
            var edited = change(latest[id]) with { EditedTimestamp = $"{at}" };
            latest[id] = edited;
            poller.Deliver([.. waiting.Select(w => w.Wait)], [edited]);
        });

        /// <summary>The command is done: its wait leaves the poller, its claims stay taken.</summary>
        private void Finish(int k)
        {
            Flush();
            var entry = waiting.Single(w => w.Command == k);
            entry.Registration.Dispose();
            waiting.Remove(entry);
        }

        /// <summary>A history read: every message posted since the last read, as one page.</summary>
        private void Flush()
        {
            if (page.Count == 0)
            {
                return;
            }
            var current = waiting.Select(w => w.Wait).ToList();
            poller.Deliver(current, [.. page]);
            foreach (var wait in current)
            {
                wait.Advance(page[^1].Id);
            }
            page.Clear();
        }

        private void At(long at, Action play) => events.Add((at, play));

        /// <summary>Unique increasing snowflakes: the time plus a sequence, as Discord's are.</summary>
        private string Id(long atMs)
        {
            return ((ulong.Parse(Snowflake.FromTime(Start.AddMilliseconds(atMs)))) + (ulong)(++sequence % 4096)).ToString();
        }

        private static List<DiscordMessage> Drain(ReplyWait wait)
        {
            var messages = new List<DiscordMessage>();
            while (wait.NextAsync(DateTimeOffset.MinValue, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult() is { } m)
            {
                messages.Add(m);
            }
            return messages;
        }
    }
}
