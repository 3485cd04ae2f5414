"""Extraction of derived units (facts, entities, relations, procedures) from turns."""
