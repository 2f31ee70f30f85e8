namespace GitExp.Testing;

/// <summary>Temp folders of the end-to-end tests.</summary>
public static class TestFolders
{
    /// <summary>
    /// Deletes a folder tree, making every file writable first (cached outs are read-only hardlinks); a file some
    /// process still holds leaves the rest for the OS to clean, never fails the test.
    /// </summary>
    public static void DeleteTree(string path)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Writes a nuget.config into <paramref name="folder"/> with only the freshly packed GitExp packages and
    /// nuget.org, so no machine-wide source or cache can serve a stale build.
    /// </summary>
    public static void WriteNuGetConfig(string folder, string packagesFolder) =>
        File.WriteAllText(
            Path.Combine(folder, "nuget.config"),
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="gitexp" value="{packagesFolder}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>

            """
        );
}
