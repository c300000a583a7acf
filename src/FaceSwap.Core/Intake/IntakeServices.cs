using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Core.Intake;

public static class IntakeServices
{
    /// <summary>The command intake and its start-up step; the host registers an <see cref="IReplyUrlGuard"/>.</summary>
    public static IServiceCollection AddCommandIntake(this IServiceCollection services)
    {
        services.AddSingleton<CommandIntake>();
        services.AddHostedService<InterruptedKeysRelease>();
        return services;
    }
}

/// <summary>
/// At start-up, Idempotency-Keys whose request was running when the previous process died are settled: done
/// with their job when it was stored, free again when it was not. Otherwise a retry would get 409 for a day.
/// Every key running before this start is taken as cut off: one server process per database (SQLite on one
/// machine), so none of them can still have a live request.
/// </summary>
internal sealed class InterruptedKeysRelease(IIdempotencyStore keys, TimeProvider clock, ILogger<InterruptedKeysRelease> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var released = await keys.ReleaseInterruptedAsync(clock.GetUtcNow(), cancellationToken);
        if (released > 0) logger.LogInformation("Released {Count} Idempotency-Keys whose request was cut off by a restart", released);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
