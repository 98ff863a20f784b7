"""Telemetry for the workers: metrics (OpenTelemetry -> Prometheus), traces, JSON logs.

`start_telemetry` wires a process once: the `/metrics` endpoint of monolathe's own
instruments, the Temporal SDK's Prometheus endpoint (through the `Runtime` the client is
connected with), the tracing interceptor and the JSON log file.
"""
