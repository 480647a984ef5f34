"""Completion: pure suggestions, the background-refreshed catalog, the prompt-toolkit completer."""
