"""The review queue: a web app where PPS/PPK/KPU verifiers work through flagged dossiers (issue 6).

`review.app.create_app(...)` builds the FastAPI app; `review.commands.register(app)` adds the
`berkas users` and `berkas review serve` commands. See docs/review.md.
"""
