"""Tests of health checks, metrics and request logs."""
