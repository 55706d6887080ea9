"""TPS lists (fixed input of the reports): format in README.md, demo lists from generate_demo.py."""
