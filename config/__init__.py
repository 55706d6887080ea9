"""Settings, requirement rules, vocabularies and region data."""
