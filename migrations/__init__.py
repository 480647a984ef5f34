"""Versioned migrations for ksqlDB streams and tables, compatible with ksql-migrations."""
