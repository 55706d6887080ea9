"""Distributed mode: RQ queues and jobs, workers, ingestion into the object store, status, CLI commands."""
