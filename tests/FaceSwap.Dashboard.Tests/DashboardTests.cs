using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Dashboard.Tests.Infrastructure;
using FaceSwap.Sandbox;
using Microsoft.Playwright;

namespace FaceSwap.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium through Playwright) against the real server: sign-in, the
/// live job list, submitting by drag and drop, channels, webhook deliveries, and isolation between users.
/// Screenshots of each view go to artifacts/test-results/screenshots/.
/// </summary>
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private DashboardServer Server => fixture.Server;
    private static FileInfo Photo(string relative) => new(DashboardFixture.Fixture(relative));

    /// <summary>The bootstrap user's face "astro" on the channel (saving it again replaces it).</summary>
    private async Task<JsonObject> SaveAstronautAsync(string channel = "local")
    {
        var saved = await DashboardFixture.SubmitAsync(Server.Client, "saveid", ("channel", channel), ("idname", "astro"), ("image", Photo("astronaut.png")));
        var done = await DashboardFixture.WhenDoneAsync(Server.Client, (string)saved["jobid"]!);
        Assert.Equal("completed", (string?)done["status"]);
        return done;
    }

    private static async Task<bool> ImageLoadedAsync(ILocator image)
    {
        await image.WaitForAsync();
        return await image.EvaluateAsync<bool>(
            "img => img.complete ? img.naturalWidth > 0 : new Promise(done => { img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false); })");
    }

    [SkippableFact]
    public async Task Signing_in_with_a_good_token_shows_the_users_jobs()
    {
        fixture.RequireAvailable();
        var saved = await SaveAstronautAsync();
        var page = await fixture.SignInAsync();

        var row = page.Locator($".job-row[data-jobid='{saved["jobid"]}']");
        await row.WaitForAsync();
        Assert.Equal("completed", await row.Locator(".badge").TextContentAsync());
        Assert.Contains("Save id", await row.TextContentAsync());
        // The token lives in this tab's sessionStorage only, and the page works without it in the URL.
        Assert.Equal(DashboardServer.Token, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('faceswap.dashboard.token')"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
        await Screenshots.SaveAsync(page, "jobs");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_bad_token_shows_the_APIs_401_text_and_a_revoked_one_its_402_text()
    {
        fixture.RequireAvailable();
        using var anonymous = Server.CreateClient("not-a-real-token");
        var refusal = await (await anonymous.GetAsync("jobs/list")).Content.ReadFromJsonAsync<JsonObject>();

        var page = await fixture.NewPageAsync();
        await page.GotoAsync(new Uri(Server.BaseUrl, "/dashboard/").ToString());
        await page.FillAsync("#token", "not-a-real-token");
        await page.ClickAsync("#signin-button");
        var error = page.Locator("#signin-error");
        await error.WaitForAsync();
        Assert.Equal($"{refusal!["error"]} (HTTP 401)", await error.TextContentAsync());
        Assert.True(await page.Locator("#app").IsHiddenAsync());
        await Screenshots.SaveAsync(page, "sign-in-refused");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();

        // A token revoked while signed in: the next data call answers 402 and the page returns to sign-in.
        var (user, token) = await Server.AddUserAsync($"revoked{Guid.NewGuid():N}"[..16]);
        var signedIn = await fixture.SignInAsync(token);
        await Server.Service<FaceSwap.Core.Storage.IUserStore>().RevokeTokensAsync(user.Id, CancellationToken.None);
        using var revoked = Server.CreateClient(token);
        var expired = await (await revoked.GetAsync("account")).Content.ReadFromJsonAsync<JsonObject>();
        await signedIn.ClickAsync("nav a[data-section=channels]");
        var signInError = signedIn.Locator("#signin-error");
        await signInError.WaitForAsync();
        Assert.Equal($"{expired!["error"]} (HTTP 402)", await signInError.TextContentAsync());
        Assert.Null(await signedIn.EvaluateAsync<string?>("() => sessionStorage.getItem('faceswap.dashboard.token')"));
        fixture.AssertNoPageErrors(signedIn);
        await signedIn.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_job_submitted_through_the_API_appears_live_and_moves_to_completed_with_its_thumbnail_without_a_reload()
    {
        fixture.RequireAvailable();
        await SaveAstronautAsync(DashboardFixture.SandboxChannel);
        var page = await fixture.SignInAsync();
        await page.EvaluateAsync("() => { window.stillTheSamePage = true; }");

        // The emulated bot takes its time, so the job is seen running before it ends.
        var sandbox = Server.Service<SandboxServer>();
        sandbox.Faults.BotReplyDelay = TimeSpan.FromSeconds(5);
        string jobId;
        try
        {
            var job = await DashboardFixture.SubmitAsync(Server.Client, "swapid", ("channel", DashboardFixture.SandboxChannel), ("idname", "astro"),
                ("image", Photo("face-api/sample2.jpg")));
            jobId = (string)job["jobid"]!;
            var running = page.Locator($".job-row[data-jobid='{jobId}']");
            await running.WaitForAsync();
            Assert.Contains(await running.GetAttributeAsync("data-status"), new[] { "created", "started", "progress" });
            await Screenshots.SaveAsync(page, "jobs-running");
        }
        finally
        {
            sandbox.Faults.BotReplyDelay = TimeSpan.Zero;
        }

        var row = page.Locator($".job-row[data-jobid='{jobId}'][data-status=completed]");
        await row.WaitForAsync();
        Assert.True(await ImageLoadedAsync(row.Locator("img.thumb")), "the thumbnail did not load");
        Assert.Contains("width=", await row.Locator("img.thumb").GetAttributeAsync("src"));
        // Scaled by the server: the thumbnail is far smaller than the 1920-pixel result.
        Assert.InRange(await row.Locator("img.thumb").EvaluateAsync<int>("img => img.naturalWidth"), 1, 128);
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"), "the page was reloaded");
        Assert.Equal("completed", (string?)(await DashboardFixture.WhenDoneAsync(Server.Client, jobId))["status"]);
        await Screenshots.SaveAsync(page, "jobs-live");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_swapid_dropped_onto_the_page_is_previewed_sent_and_completes()
    {
        fixture.RequireAvailable();
        await SaveAstronautAsync();
        var page = await fixture.SignInAsync();
        await page.ClickAsync("nav a[data-section=submit]");
        await page.CheckAsync("input[name=verb][value=swapid]");
        await page.Locator("#channel option[value=local]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("#channel", "local");
        await page.FillAsync("#text-idname", "astro");

        // A real drop: a DataTransfer holding the photo, dispatched on the drop zone.
        var photo = Convert.ToBase64String(await File.ReadAllBytesAsync(Photo("face-api/sample3.jpg").FullName));
        await page.Locator(".drop-zone[data-field=image]").EvaluateAsync("""
            (zone, base64) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const files = new DataTransfer();
              files.items.add(new File([bytes], 'sample3.jpg', { type: 'image/jpeg' }));
              zone.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
            }
            """, photo);
        var preview = page.Locator("#preview-image");
        Assert.True(await ImageLoadedAsync(preview), "the preview did not load");
        Assert.True(await preview.IsVisibleAsync());
        Assert.StartsWith("blob:", await preview.GetAttributeAsync("src"));
        Assert.Equal(1, await page.Locator("#file-image").EvaluateAsync<int>("input => input.files.length"));
        await Screenshots.SaveAsync(page, "submit-preview");

        await page.ClickAsync("#submit-button");
        // Sent: the page moves to the job; refused: it says why (and the test shows it).
        await page.WaitForFunctionAsync("() => /^#\\/jobs\\/[0-9a-f]{32}$/.test(location.hash) || !document.getElementById('submit-error')?.hidden");
        if (!page.Url.Contains("#/jobs/")) Assert.Fail($"the swap was refused: {await page.Locator("#submit-error").TextContentAsync()}");
        var jobId = new Uri(page.Url).Fragment.Split('/')[^1];
        var job = await DashboardFixture.WhenDoneAsync(Server.Client, jobId);
        Assert.True((string?)job["status"] == "completed", job.ToJsonString());
        await page.Locator("h1 .badge[data-status=completed]").WaitForAsync();
        Assert.True(await ImageLoadedAsync(page.Locator("img.result-image")), "the result did not load");

        Assert.Equal("faceswap-swapid", (string?)job["verb"]);
        Assert.Equal("local", (string?)job["channel"]);
        Assert.Equal(new FileInfo(Photo("face-api/sample3.jpg").FullName).Length, (long)job["image"]!["size"]!);
        await Screenshots.SaveAsync(page, "job-detail");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task Channels_show_their_health_with_its_detail_and_their_credits()
    {
        fixture.RequireAvailable();
        // Credits come with the emulated bot's replies ("(left/total credits remaining)").
        await SaveAstronautAsync(DashboardFixture.SandboxChannel);
        var swapped = await DashboardFixture.SubmitAsync(Server.Client, "swapid", ("channel", DashboardFixture.SandboxChannel), ("idname", "astro"),
            ("image", Photo("face-api/sample2.jpg")));
        Assert.Equal("completed", (string?)(await DashboardFixture.WhenDoneAsync(Server.Client, (string)swapped["jobid"]!))["status"]);
        // A second sandbox channel that Discord locks with a captcha challenge.
        const string locked = "100000000000000777";
        var created = await Server.Client.PostAsJsonAsync($"account/{locked}", new { sandbox = true });
        Assert.True(created.IsSuccessStatusCode || (await created.Content.ReadAsStringAsync()).Contains("taken"), await created.Content.ReadAsStringAsync());
        Server.Service<SandboxServer>().Faults.RefuseNext(AccountRefusal.Captcha, 1, "create-interaction");
        await DashboardFixture.WhenDoneAsync(Server.Client, (string)(await DashboardFixture.SubmitAsync(Server.Client, "listid", ("channel", locked)))["jobid"]!);
        var accounts = (await Server.Client.GetFromJsonAsync<JsonObject>("account"))!;
        Assert.Equal("locked", (string?)accounts[locked]!["health"]);
        var credits = accounts[DashboardFixture.SandboxChannel]?["credits"];
        Assert.True(credits is not null, accounts.ToJsonString());

        var page = await fixture.SignInAsync();
        await page.ClickAsync("nav a[data-section=channels]");
        var sandboxCard = page.Locator($".channel[data-channel='{DashboardFixture.SandboxChannel}']");
        await sandboxCard.WaitForAsync();
        Assert.Equal("Healthy", await sandboxCard.Locator(".badge").TextContentAsync());
        Assert.Equal($"{(int)credits["total"]! - (int)credits["used"]!} left", await sandboxCard.Locator(".credits-left").TextContentAsync());
        Assert.Contains($"{(int)credits["used"]!} of {(int)credits["total"]!} used", await sandboxCard.TextContentAsync());
        var lockedCard = page.Locator($".channel[data-channel='{locked}']");
        Assert.Equal("Locked", await lockedCard.Locator(".badge").TextContentAsync());
        Assert.Equal((string?)accounts[locked]!["healthDetail"], await lockedCard.Locator(".health-detail").TextContentAsync());
        var localCard = page.Locator(".channel[data-channel=local]");
        Assert.Equal("Healthy", await localCard.Locator(".badge").TextContentAsync());
        Assert.Contains("Local engine", await localCard.TextContentAsync());
        await Screenshots.SaveAsync(page, "channels");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_jobs_webhook_deliveries_are_listed_and_a_redelivery_arrives()
    {
        fixture.RequireAvailable();
        await SaveAstronautAsync();
        var job = await DashboardFixture.SubmitAsync(Server.Client, "swapid", ("channel", "local"), ("idname", "astro"),
            ("image", Photo("face-api/sample2.jpg")), ("replyUrl", fixture.Receiver.Url()));
        var jobId = (string)job["jobid"]!;
        await DashboardFixture.WhenDoneAsync(Server.Client, jobId);

        var page = await fixture.SignInAsync();
        await page.GotoAsync(new Uri(Server.BaseUrl, $"/dashboard/#/jobs/{jobId}").ToString());
        var delivered = page.Locator("#deliveries tbody tr[data-state=delivered]");
        await delivered.First.WaitForAsync();
        var first = await delivered.First.GetAttributeAsync("data-webhook-id");
        Assert.Contains("HTTP 200", await delivered.First.TextContentAsync());
        Assert.Contains(fixture.Receiver.Url(), await delivered.First.TextContentAsync());
        Assert.Contains(first, WebhookIdsReceived());

        await page.ClickAsync("#redeliver");
        await page.Locator("#deliveries tbody tr[data-state=delivered]").Nth(1).WaitForAsync();
        var ids = await page.Locator("#deliveries tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.webhookId)");
        Assert.Equal(2, ids.Length);
        var second = ids.Single(id => id != first);
        Assert.Contains(second, WebhookIdsReceived());
        await Screenshots.SaveAsync(page, "job-deliveries");
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    /// <summary>The <c>webhook-id</c> of each replyUrl call (a POST to the receiver's <c>/hook</c>) so far.</summary>
    private IEnumerable<string> WebhookIdsReceived() =>
        fixture.Receiver.Calls.Where(c => c is { Method: "POST", Path: "/hook" }).Select(c => c.Headers.GetValueOrDefault("webhook-id", ""));

    [SkippableFact]
    public async Task Older_jobs_load_a_page_at_a_time()
    {
        fixture.RequireAvailable();
        var (user, token) = await Server.AddUserAsync($"pager{Guid.NewGuid():N}"[..16]);
        var store = Server.Service<IJobStore>();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var ids = new List<string>();
        for (var i = 0; i < 35; i++)
        {
            // Stored as finished jobs of a channel the user does not have: listed, never run.
            var job = new Job
            {
                Id = JobIds.NewJobId(), UserId = user.Id, Verb = Verb.Headshot, Status = JobStatus.Completed,
                Created = start.AddMinutes(i), Updated = start.AddMinutes(i), Channel = "archive",
                Fields = new Dictionary<string, string> { ["prompt"] = $"portrait {i}" },
            };
            Assert.True((await store.InsertAsync(job, false, CancellationToken.None)).Inserted);
            ids.Add(job.Id);
        }

        var page = await fixture.SignInAsync(token);
        await page.Locator(".job-row").Nth(29).WaitForAsync();
        Assert.Equal(30, await page.Locator(".job-row").CountAsync());
        Assert.Equal(ids[^1], await page.Locator(".job-row").First.GetAttributeAsync("data-jobid"));
        await page.ClickAsync("#load-more");
        await page.Locator(".job-row").Nth(34).WaitForAsync();
        var shown = await page.Locator(".job-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.jobid)");
        Assert.Equal(Enumerable.Reverse(ids), shown);
        Assert.True(await page.Locator("#load-more").IsHiddenAsync());
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task Another_users_jobs_are_never_shown()
    {
        fixture.RequireAvailable();
        var (mallory, malloryToken) = await Server.AddUserAsync($"mallory{Guid.NewGuid():N}"[..16]);
        await Server.Service<IAccountStore>().UpsertAsync(new FaceSwap.Core.Accounts.Account
        {
            UserId = mallory.Id, Channel = "local", Engine = "local", Created = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        using var malloryClient = Server.CreateClient(malloryToken);
        var before = await DashboardFixture.SubmitAsync(malloryClient, "listid", ("channel", "local"));
        await DashboardFixture.WhenDoneAsync(malloryClient, (string)before["jobid"]!);

        var page = await fixture.SignInAsync();
        await page.Locator(".job-row").First.WaitForAsync();
        // While we watch: her job, then ours. Ours arriving means hers would have arrived before it.
        var during = await DashboardFixture.SubmitAsync(malloryClient, "listid", ("channel", "local"));
        await DashboardFixture.WhenDoneAsync(malloryClient, (string)during["jobid"]!);
        var ours = await DashboardFixture.SubmitAsync(Server.Client, "listid", ("channel", "local"));
        await page.Locator($".job-row[data-jobid='{ours["jobid"]}'][data-status=completed]").WaitForAsync();

        var shown = await page.Locator(".job-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.jobid)");
        Assert.DoesNotContain((string)before["jobid"]!, shown);
        Assert.DoesNotContain((string)during["jobid"]!, shown);
        Assert.DoesNotContain((string)before["jobid"]!, await page.ContentAsync());
        Assert.DoesNotContain((string)during["jobid"]!, await page.ContentAsync());

        // Her job's page, asked for by id, is the API's 404.
        await page.GotoAsync(new Uri(Server.BaseUrl, $"/dashboard/#/jobs/{before["jobid"]}").ToString());
        var error = page.Locator("#view .form-error");
        await error.WaitForAsync();
        Assert.Equal($"Unable to locate job {before["jobid"]}", await error.TextContentAsync());
        fixture.AssertNoPageErrors(page);
        await page.Context.CloseAsync();
    }
}
