using FaceSwap.Core.Intake;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Apis;

/// <summary>The eleven commands; each creates a job through the <see cref="CommandIntake"/>. Spec section 3.</summary>
public static class CommandsApi
{
    public static RouteGroupBuilder MapCommandsApi(this RouteGroupBuilder api)
    {
        foreach (var spec in CommandSpec.All)
        {
            api.MapMethods(spec.Route, [spec.Method], (HttpContext http, CommandIntake intake, IOptions<UploadOptions> uploads, IOptions<ServerOptions> server) =>
                    SubmitAsync(spec, http, intake, uploads.Value, server.Value))
                .DisableAntiforgery();
        }
        return api;
    }

    /// <summary>Parse, submit, render: every rule of submission lives in the intake.</summary>
    private static async Task<IResult> SubmitAsync(CommandSpec spec, HttpContext http, CommandIntake intake, UploadOptions uploads, ServerOptions server)
    {
        var submission = await CommandRequest.ReadAsync(http, spec, uploads.MaxFileBytes);
        switch (await intake.SubmitAsync(submission, http.RequestAborted))
        {
            case IntakeResult.Accepted accepted:
                if (accepted.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
                if (submission.RespondAsync && !accepted.Replayed)
                {
                    // RFC 7240: the preference was honoured, and 202 says the job was accepted, not done.
                    http.Response.Headers["Preference-Applied"] = "respond-async";
                    return TypedResults.Json(JobView.Render(accepted.Job, BaseUrls.Of(http, server)), statusCode: StatusCodes.Status202Accepted);
                }
                return TypedResults.Json(JobView.Render(accepted.Job, BaseUrls.Of(http, server)));
            case IntakeResult.Refused refused:
                return refused.Refusal.ToResult();
            default:
                throw new InvalidOperationException("The intake answered neither accepted nor refused");
        }
    }
}
