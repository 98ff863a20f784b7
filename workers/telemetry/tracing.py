"""Traces: Temporal's TracingInterceptor on the client, spans exported over OTLP/HTTP.

With no endpoint configured the spans still exist (so logs carry trace ids) and are
dropped; with one, a reel's workflow and its activities arrive as one trace.
"""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor


def tracer_provider(service: str, otlp_endpoint: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    return provider


def tracing_interceptor(provider: TracerProvider) -> TracingInterceptor:
    # Workflows started without a client span (the `temporal` CLI) get traces too.
    return TracingInterceptor(tracer=provider.get_tracer("monolathe"),
                              always_create_workflow_spans=True)
