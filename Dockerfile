FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-ind fonts-ocr-a fonts-dejavu-core fonts-liberation make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
ENV OMP_THREAD_LIMIT=1
CMD ["berkas", "worker"]
