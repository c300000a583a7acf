using Scalar.AspNetCore;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// The API's documentation: the OpenAPI document (<see cref="DocumentPath"/>) and an interactive reference
/// over it (<see cref="UiPath"/>, Scalar). Both are public, like the vendor's docs pages; the UI's script is
/// served by this server itself, so the page works on a machine without internet access.
/// </summary>
public static class ApiDocs
{
    public const string DocumentName = "v1";

    public const string DocumentPath = "/openapi/" + DocumentName + ".json";

    public const string UiPath = "/docs";

    public static IServiceCollection AddApiDocs(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer<FaceSwapDocument>();
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(Wire.ApiError)) WireSchemas.DescribeError(schema);
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference(UiPath, options =>
        {
            options.Title = "FaceSwap API v1";
            options.OpenApiRoutePattern = "/openapi/{documentName}.json";
            // Nothing fetched from elsewhere: system fonts instead of the CDN's, no telemetry, no hosted AI chat, and no
            // toolbar whose buttons lead to hosted services.
            options.DefaultFonts = false;
            options.Telemetry = false;
            options.DisableAgent();
            options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            options.AddPreferredSecuritySchemes([FaceSwapDocument.BearerScheme]);
        });
        return app;
    }
}
