"""The place tree: area → building → stairwell."""
