using System.Diagnostics;
using System.Net;
using System.Text;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Webhooks;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Webhooks;

/// <summary>
/// Sends the outbox: each pending delivery is POSTed, signed, to its replyUrl, retried on the schedule until
/// the receiver answers 2xx (or 410, which stops that URL). It runs beside the jobs, never in their way: a
/// slow or dead receiver costs the job nothing, and a restart resumes from the outbox table.
/// </summary>
public sealed class WebhookDeliverer(
    IDeliveryStore deliveries,
    WebhookSecrets secrets,
    JobNotifier notifier,
    JobDispatcher dispatcher,
    IOptions<WebhookOptions> options,
    IOptions<ServerOptions> serverOptions,
    IServer server,
    TimeProvider clock,
    ILogger<WebhookDeliverer> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly HttpClient _http = CreateClient(options.Value);

    /// <summary>Something new may be due (a job changed, a redelivery was asked for).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try { _wake.Release(); } catch (SemaphoreFullException) { }
        }
    }

    private static HttpClient CreateClient(WebhookOptions options)
    {
        var policy = new EgressPolicy(options.AllowedHosts, options.AllowedNetworks);
        var handler = new SocketsHttpHandler
        {
            // A redirect could point anywhere, past the guard's judgement: 3xx is an answer, not a hop.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = policy.ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Only a change of a job with a replyUrl can have put a delivery in the outbox (DeliveryPolicy.ShouldNotify).
        notifier.Changed += job => { if (job.ReplyUrl is not null) Wake(); };
        using var inFlight = new SemaphoreSlim(options.Value.MaxConcurrentDeliveries);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var due = await deliveries.ClaimDueAsync(dispatcher.NodeId, clock.GetUtcNow(), clock.GetUtcNow() + options.Value.LeaseDuration,
                    options.Value.MaxConcurrentDeliveries * 4, stoppingToken);
                foreach (var delivery in due)
                {
                    await inFlight.WaitAsync(stoppingToken);
                    TrackInFlight(Task.Run(async () =>
                    {
                        try { await DeliverAsync(delivery, stoppingToken); }
                        finally
                        {
                            inFlight.Release();
                            Wake(); // its next attempt may be due before whatever the loop sleeps for
                        }
                    }, CancellationToken.None));
                }
                if (due.Count > 0) continue;
                var next = await deliveries.NextDueAsync(stoppingToken);
                var sleep = next is { } at ? at - clock.GetUtcNow() : TimeSpan.FromSeconds(30);
                sleep = TimeSpan.FromMilliseconds(Math.Clamp(sleep.TotalMilliseconds, 10, 30_000));
                await _wake.WaitAsync(sleep, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Webhook delivery loop failed");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    private async Task DeliverAsync(Delivery delivery, CancellationToken stoppingToken)
    {
        var body = JobView.Render(delivery.Snapshot, BaseUrl()).ToJsonString(JobView.WireJson);
        var started = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.RequestTimeout);
            var timestamp = started.ToUnixTimeSeconds();
            var live = (await secrets.GetAsync(delivery.UserId, stoppingToken)).Live(started);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("webhook-id", delivery.Id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString());
            request.Headers.Add("webhook-signature", WebhookSigner.Header(live, delivery.Id, timestamp, body));
            request.Headers.UserAgent.ParseAdd("FaceSwap-Webhooks/1.0");
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                error = $"Timed out after {options.Value.RequestTimeout.TotalSeconds:0.###} s";
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping mid-attempt: hand the delivery back so the next start sends it without waiting out the lease.
            await deliveries.ReleaseAsync(delivery.Id, CancellationToken.None);
            return;
        }
        catch (Exception e)
        {
            error = DeliveryErrors.Describe(e);
        }
        var attempt = new DeliveryAttempt(started, status, error, stopwatch.Elapsed);
        var outcome = Judge(delivery, status, retryAfter);
        await deliveries.RecordAttemptAsync(delivery.Id, attempt, outcome, CancellationToken.None);
        if (outcome.State == DeliveryState.Stopped)
            await deliveries.StopPendingToAsync(delivery.UserId, delivery.Url, CancellationToken.None);
        logger.LogInformation("Delivery {Delivery} of job {Job} ({Event}) to its replyUrl: {Result} → {State}",
            delivery.Id, delivery.JobId, delivery.Event, status?.ToString() ?? error, outcome.State);
    }

    private DeliveryOutcome Judge(Delivery delivery, int? status, TimeSpan? retryAfter)
    {
        if (status is >= 200 and < 300) return DeliveryOutcome.Delivered;
        if (status == (int)HttpStatusCode.Gone) return DeliveryOutcome.Stopped;
        var schedule = options.Value.Schedule;
        var attemptsMade = delivery.Attempts + 1;
        if (attemptsMade >= schedule.Length) return DeliveryOutcome.GaveUp;
        var delay = schedule[attemptsMade] * (0.8 + Random.Shared.NextDouble() * 0.4);
        if (retryAfter is { } asked && asked > delay) delay = asked < TimeSpan.FromDays(1) ? asked : TimeSpan.FromDays(1);
        return DeliveryOutcome.RetryAt(clock.GetUtcNow() + delay);
    }

    /// <summary>Where result links in a delivered job point: the configured public URL, else this server's own address.</summary>
    private string BaseUrl()
    {
        if (serverOptions.Value.PublicBaseUrl is { } configured) return configured.TrimEnd('/');
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? ServerHost.DefaultUrl;
        return address.Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost").Replace("://+", "://localhost").TrimEnd('/');
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _inFlight = new();

    private void TrackInFlight(Task delivery)
    {
        _inFlight.TryAdd(delivery, 0);
        delivery.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
    }

    /// <summary>Lets attempts under way finish recording (or hand their delivery back) before the host stops.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { });
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// The text of a failed attempt, as the delivery log shows it to the user. Made from the kind of failure,
/// never from a socket's or resolver's own message: those may carry what an internal name resolves to.
/// </summary>
public static class DeliveryErrors
{
    public static string Describe(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is EgressRefusedException refused) return refused.Message;
        }
        if (failure is not HttpRequestException request) return $"The request failed ({failure.GetType().Name})";
        if (request.InnerException is System.Net.Sockets.SocketException socket)
            return $"Could not connect: {Words(socket.SocketErrorCode.ToString())}";
        return request.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name does not resolve",
            HttpRequestError.ConnectionError => "Could not connect",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed",
            HttpRequestError.ResponseEnded => "The receiver closed the connection without an answer",
            HttpRequestError.InvalidResponse => "The receiver's answer is not valid HTTP",
            _ => $"The request failed ({Words(request.HttpRequestError.ToString())})",
        };
    }

    /// <summary><c>ConnectionRefused</c> → <c>connection refused</c>.</summary>
    private static string Words(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
