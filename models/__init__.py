"""Intent and per-platform configuration rendering. Pure: no I/O, imports nothing of ours."""
