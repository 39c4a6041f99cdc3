"""What operators watch: Prometheus metrics, OpenTelemetry traces and structured logs."""
