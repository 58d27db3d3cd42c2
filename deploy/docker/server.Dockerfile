# The gateway and controller image: dask-gateway-server on the ASP.NET Core runtime.
# Build from the repository's root:
#   docker build -f deploy/docker/server.Dockerfile -t dask-gateway-server:0.1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/DaskGateway.Server/DaskGateway.Server.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# tini runs the chart's args (`dask-gateway-server ...`) as a child and forwards signals to it;
# libgssapi-krb5-2 is for gateway.auth.type kerberos.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini libgssapi-krb5-2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /opt/dask-gateway-server
RUN ln -s /opt/dask-gateway-server/dask-gateway-server /usr/local/bin/dask-gateway-server
# The image's unprivileged user; compiled config scripts and extensions are cached in its home.
USER app
WORKDIR /home/app
ENTRYPOINT ["tini", "--"]
CMD ["dask-gateway-server", "--config", "/etc/dask-gateway/dask_gateway_config.csx"]
