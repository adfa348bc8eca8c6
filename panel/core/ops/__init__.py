"""Operations: health checks, Prometheus metrics and structured request logs."""
