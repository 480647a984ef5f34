"""Run an embedded ksqlDB-compatible server for development and tests."""
