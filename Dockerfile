# The fate-lineage API under gunicorn. Neo4j and Redis run in containers of
# their own; docker-compose.yml starts all three and docs/deployment.md
# explains the settings.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# .dockerignore leaves out local state, secrets and the folders that the
# package does not install, so a package folder added to pyproject.toml is
# copied without a change here.
WORKDIR /build
COPY . .
RUN pip install . && rm -rf /build

# The home folder holds gunicorn's control socket and, unless
# dependency.store names another place, the Spark dependency archives. USER
# takes the numeric ids, so that a runtime can verify the user is not root
# without reading the image's /etc/passwd.
RUN groupadd --system --gid 10001 lineage \
    && useradd --system --uid 10001 --gid lineage --create-home \
        --home-dir /home/lineage --shell /usr/sbin/nologin lineage
USER 10001:10001
WORKDIR /home/lineage

# A published port reaches the container through its network interface, not
# its loopback, so the API listens on every interface inside the container.
ENV FATE_LINEAGE__FATEFLOW__HOST=0.0.0.0
EXPOSE 9380

# Logs go to stdout and stderr for `docker logs`. gunicorn's heartbeat calls
# os.fchmod on a file, which gunicorn's documentation says may block a worker
# on a disk-backed file system, so the file goes to /dev/shm, a tmpfs.
CMD ["gunicorn", "--config", "python:fate_lineage.api.gunicorn_conf", \
     "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm", \
     "fate_lineage.api.app:create_app()"]
