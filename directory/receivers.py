"""Signal receivers of the directory app (placeholder)."""
