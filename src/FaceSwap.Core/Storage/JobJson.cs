using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Storage;

/// <summary>How a job and its parts are kept in the database's document columns.</summary>
public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The jobs table's <c>data</c> document: the job without its status, which lives in the <c>status</c>
    /// column alone, so the two can never disagree (a stale <c>status</c> in an old document is ignored).
    /// </summary>
    private static readonly JsonSerializerOptions DataOptions = new(Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { WithoutJobStatus } },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;

    /// <summary>The job as the <c>data</c> column keeps it: everything but its status.</summary>
    public static string SerializeData(Job job) => JsonSerializer.Serialize(job, DataOptions);

    /// <summary>A job from its <c>data</c> document and its <c>status</c> column.</summary>
    public static Job DeserializeData(string data, string status) =>
        JsonSerializer.Deserialize<Job>(data, DataOptions)! with { Status = JobStatuses.Parse(status) };

    public static long ToMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static void WithoutJobStatus(JsonTypeInfo info)
    {
        if (info.Type != typeof(Job)) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Name == "status") info.Properties.RemoveAt(i);
        }
    }
}
