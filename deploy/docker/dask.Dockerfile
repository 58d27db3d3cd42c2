# The scheduler and worker image: Dask's own dask-scheduler and dask-worker, plus the scheduler
# preload the gateway names (--preload dask_gateway.scheduler_preload).
# Build from the repository's root:
#   docker build -f deploy/docker/dask.Dockerfile -t dask-gateway:0.1.0 .
FROM python:3.12-slim
RUN pip install --no-cache-dir "distributed>=2024.1" "bokeh>=3.1"
# Our preload as the module dask_gateway.scheduler_preload, where upstream's client package puts
# its own (the two speak the same protocol). Installing upstream's dask-gateway package into
# this image instead would replace it; either works with this server.
COPY scheduler/dask_gateway_preload.py /opt/dask-gateway/python/dask_gateway/scheduler_preload.py
RUN touch /opt/dask-gateway/python/dask_gateway/__init__.py
ENV PYTHONPATH=/opt/dask-gateway/python
RUN useradd --create-home --uid 1000 dask
USER dask
WORKDIR /home/dask
