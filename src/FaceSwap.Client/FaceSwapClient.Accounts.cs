using System.Net.Http.Json;

namespace FaceSwap.Client;

/// <summary>Accounts, the channels where commands run (spec section 2).</summary>
public sealed partial class FaceSwapClient
{
    /// <summary><c>GET /account</c>: every channel of the caller, by channel id; empty when there is none (the API's 404).</summary>
    public async Task<IReadOnlyDictionary<string, Account>> ListAccountsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync<Dictionary<string, Account>>(Request(HttpMethod.Get, "account"), cancellationToken);
        }
        catch (FaceSwapApiException e) when (e.Code == 404)
        {
            return new Dictionary<string, Account>();
        }
    }

    /// <summary><c>GET /account/{channel}</c>.</summary>
    public Task<Account> GetAccountAsync(string channel, CancellationToken cancellationToken = default) =>
        ReadAsync<Account>(Request(HttpMethod.Get, "account/" + Uri.EscapeDataString(channel)), cancellationToken);

    /// <summary><c>POST /account/{channel}</c> (204): creates or replaces the channel's settings.</summary>
    public Task SaveAccountAsync(string channel, AccountSettings settings, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, "account/" + Uri.EscapeDataString(channel));
        request.Content = JsonContent.Create(settings, options: Json);
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }

    /// <summary><c>DELETE /account/{channel}</c> (204).</summary>
    public Task DeleteAccountAsync(string channel, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Delete, "account/" + Uri.EscapeDataString(channel));
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }
}
