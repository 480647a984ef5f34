"""Rendering of results: one renderer per entity type, tables, the live push view, JSON."""
