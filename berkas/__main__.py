"""`python -m berkas ...` is the `berkas` command."""

from berkas.cli import app

app()
