# stability-upscale-mock as a CI service container (see docs/testing/ci.md, "Docker").
#   docker build -t stability-upscale-mock .
#   docker run --rm -p 8080:8080 stability-upscale-mock
# Every STABILITY_MOCK_* variable configures it, as with `stability-mock serve`.

# Build the wheel from this checkout: the image installs exactly what `pip install` would.
FROM python:3.12-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
# `python -m mockserver.openapi` keeps the bundled YAML's parsed copies in the install (the
# runtime user may not write there, and PYTHONDONTWRITEBYTECODE asks a start not to).
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && python -m mockserver.openapi \
    && groupadd --gid 10001 mock && useradd --create-home --uid 10001 --gid 10001 mock
USER 10001:10001
WORKDIR /home/mock
# Listen on every interface: other containers reach the mock by its service name.
# The admin API (/_mock/, but not /_mock/health) still answers only on loopback unless
# STABILITY_MOCK_ADMIN_TOKEN is set; then callers send it as X-Admin-Token.
ENV STABILITY_MOCK_HOST=0.0.0.0 \
    STABILITY_MOCK_PORT=8080 \
    STABILITY_MOCK_STORE=memory://
EXPOSE 8080
# The slim image has no curl: Python asks the health endpoint.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['STABILITY_MOCK_PORT'] + '/_mock/health', timeout=2)"]
CMD ["stability-mock", "serve"]
