"""Exit codes of ksqlpy-migrations: ksql-migrations' 0 and 1, and 130 for Ctrl-C/SIGTERM."""

EXIT_OK = 0
EXIT_ERROR = 1  # any error, usage errors included, as ksql-migrations exits
EXIT_INTERRUPTED = 130
