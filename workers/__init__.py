"""The processes: workers per task queue, the CLI, the embedded Temporal dev server."""
