using System.Text.Json;
using System.Text.Json.Nodes;
using GitExp.Core;
using Microsoft.AspNetCore.Http;

namespace GitExp.Tool.Web;

/// <summary>
/// What every JSON endpoint answers and how it reads a request's body, in one place: a body is JSON, an error is
/// <c>{"error": "one line"}</c> with the status that says why.
/// </summary>
internal static class ApiConventions
{
    public static IResult Json(JsonNode node) => Results.Content(node.ToJsonString(), "application/json; charset=utf-8");

    public static IResult Error(int status, string message) =>
        Results.Content(new JsonObject { ["error"] = message }.ToJsonString(), "application/json; charset=utf-8", null, status);

    /// <summary>A refused request: 404 when what it names is missing, 409 when it conflicts with the state, else 400.</summary>
    public static IResult Error(ExpException e) =>
        Error(
            e.Code switch
            {
                ExitCode.NotFound => StatusCodes.Status404NotFound,
                ExitCode.Conflict => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            },
            e.Message
        );

    /// <summary>Refuses a body with a field the endpoint does not take, naming it and the ones it does.</summary>
    public static void Only(JsonObject body, string what, params string[] names)
    {
        foreach (var name in body.Select(p => p.Key).Where(n => !names.Contains(n)))
        {
            throw new ExpException(ExitCode.Usage, $"{what}: unknown field '{name}' (expected {string.Join(", ", names)})");
        }
    }

    /// <summary>A text field, trimmed; null when it is left out, null or blank.</summary>
    public static string? OptionalText(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            throw new ExpException(ExitCode.Usage, $"'{name}' must be text or null");
        }

        var text = node.GetValue<string>().Trim();
        return text.Length == 0 ? null : text;
    }
}
