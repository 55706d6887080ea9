FROM python:3.11-slim-bookworm
# The NIK digit templates ship as package data (pipeline/reading/ktp/data), so no OCR-A font is needed here.
RUN apt-get update && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-ind fonts-dejavu-core fonts-liberation make git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
# the code revision each result names (docs/operations.md#provenance), when the build context has .git
RUN pip install --no-cache-dir -e . \
    && (git -C /app rev-parse --short=12 HEAD > /app/REVISION 2>/dev/null || true)
# an image without what the readers need fails here, not on the first dossier
RUN berkas doctor --only tesseract,nik_templates,neural_models,rules,data
ENV OMP_THREAD_LIMIT=1
CMD ["berkas", "worker"]
