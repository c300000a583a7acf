namespace FaceSwap.Sandbox;

/// <summary>
/// Names of the emulated Discord routes. Each is one rate-limit bucket and the key a fault can be aimed at.
/// </summary>
public static class SandboxRoutes
{
    public const string GetCurrentUser = "get-current-user";
    public const string GetCommandIndex = "get-command-index";
    public const string CreateAttachments = "create-attachments";
    public const string CreateInteraction = "create-interaction";
    public const string GetMessages = "get-messages";
    public const string GetMessage = "get-message";
    public const string CreateMessage = "create-message";

    public static readonly IReadOnlyList<string> All =
        [GetCurrentUser, GetCommandIndex, CreateAttachments, CreateInteraction, GetMessages, GetMessage, CreateMessage];
}
