# RNN Gradient Flow: CPU-only image (the CPU wheel of torch keeps it small).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# torch from the CPU index first, so the bounded requirement below is already met
# and no CUDA wheels are pulled in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch>=2.3,<2.14"

COPY pyproject.toml README.md ./
COPY model ./model
COPY server ./server
COPY bench ./bench
COPY templates ./templates
COPY static ./static
# Dependencies come from pyproject; the code runs from /app (python -m server finds it there).
RUN pip install . && useradd --create-home --uid 10001 app
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["python", "-m", "server", "--host", "0.0.0.0", "--port", "8000"]
