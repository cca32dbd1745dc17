# AgentSentinel container image (multi-stage). Works with BuildKit and the classic builder.
#   docker build -t agentsentinel .
#   docker run --rm -p 9464:9464 \
#     -v "$PWD/deploy/agentsentinel.json:/etc/agentsentinel/agentsentinel.json:ro" \
#     agentsentinel --config /etc/agentsentinel/agentsentinel.json
# Any setting can be overridden with env vars: AGENTSENTINEL__Section__Key (double underscore).

# ---- restore inputs: only the files NuGet restore reads ------------------------------------------------
# This stage re-runs on every change, but its output (and so the restore layer below) only changes
# when a project file, props file or global.json changes. No project list to keep up to date.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS restore-inputs
WORKDIR /src
COPY . .
RUN find . -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' ! -name 'global.json' \
        ! -iname 'nuget.config' -delete

# ---- build ---------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
WORKDIR /src
COPY --from=restore-inputs /src ./
RUN dotnet restore src/AgentSentinel.Cli/AgentSentinel.Cli.csproj
# Whole context (trimmed by .dockerignore): the root global.json, Directory.*.props and .editorconfig
# carry TreatWarningsAsErrors, the analyzers and central package versions, so the image builds
# exactly what CI builds.
COPY . .
RUN dotnet publish src/AgentSentinel.Cli -c Release -o /app --no-restore
# Versioned model artefacts (models/<detector>/v<N>.zip) go next to the binaries. Copied here rather
# than with COPY in the runtime stage because models/ may not exist yet in a fresh clone.
RUN mkdir -p /app/models && if [ -d models ]; then cp -R models/. /app/models/; fi

# ---- runtime -------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's Kestrel default is 8080; AgentSentinel serves /metrics and /health/{live,ready} on 9464
# (Metrics:Port). An explicit Kestrel endpoint configured by the app takes precedence over this.
ENV ASPNETCORE_HTTP_PORTS=9464 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 9464
# Non-root user that ships with the .NET images (APP_UID=1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/agentsentinel.dll", "run"]
