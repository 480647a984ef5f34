"""Interactive shell for ksqlDB (pgcli-style, ksql CLI compatible)."""
