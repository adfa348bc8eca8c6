"""Tests that start real servers or worker processes."""
