"""The `berkas` command line: the composition root that wires the library (`pipeline/`), the queue workers
(`workers/`) and the review app (`review/`) together. Nothing in those packages imports from here."""
