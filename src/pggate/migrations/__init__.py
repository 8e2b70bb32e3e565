"""Migration files and their application: discovery, parsing, history, runner, rollback, lint."""
