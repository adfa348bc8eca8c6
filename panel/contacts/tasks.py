"""Contact tasks."""
