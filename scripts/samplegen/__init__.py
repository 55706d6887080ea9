"""Synthetic KPPS dossier generator: people, documents, renderings, scenarios and ground truth.

Everything is driven by numpy Generators seeded per dossier, so the same seed gives byte-identical output.
"""

GENERATOR_VERSION = "samplegen-0.3"  # 0.2: layout families and extra degradations (--layouts); 0.3: field mode
