"""Questions: what staff ask tenants, with an optional recorded video, and its life cycle."""
