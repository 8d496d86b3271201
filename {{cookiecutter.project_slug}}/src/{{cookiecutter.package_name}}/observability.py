"""Logs, request ids and metrics.

Logs: every record, gunicorn's and Werkzeug's included, is one JSON line on stdout
(python-json-logger, encoding with orjson), written as it happens. Each request but an answered
probe gets one line from the request layer: INFO, WARNING for 4xx, ERROR for 5xx.

Metrics: one CloudWatch embedded metric format (EMF) record per request, sent by UDP to the
CloudWatch agent (AWS_EMF_AGENT_ENDPOINT, e.g. udp://cloudwatch-agent.amazon-cloudwatch:25888),
which extracts the metrics. Not in the log line: the cluster's Fluent Bit nests each line under
`log`, and CloudWatch extracts metrics only from records with `_aws` at the root. UDP because a
metric must never slow or fail a request; unset, metrics are off (locally).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import socket
import sys
import uuid
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, has_request_context, request

from .settings import SERVICE_NAME, Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy import Engine

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = f"{__package__}.request_id"  # Where the id is kept in the WSGI environ.
# An incoming id is kept only if it is short and harmless to log; otherwise a new one is made.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:=-]{1,128}")
REQUEST_LOGGER = f"{__package__}.request"
METRICS = (("Latency", "Milliseconds"), ("Requests", "Count"), ("ClientErrors", "Count"), ("Errors", "Count"))


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is at the time, so captured output (pytest) sees the lines too."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


class _NotWerkzeugRequestLines(logging.Filter):
    """`flask run` logs each request itself; the request layer's line already says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in record.getMessage()


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` that sends every logger's records to stdout as JSON.

    gunicorn.conf.py gives it to gunicorn as `logconfig_dict`, so gunicorn's own logs are JSON too.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"no_werkzeug_requests": {"()": _NotWerkzeugRequestLines}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.orjson.OrjsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger", "exc_info": "exception"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "stdout": {"()": StdoutHandler, "formatter": "json"},
        },
        "root": {"level": level, "handlers": ["stdout"]},
        # gunicorn's loggers pass their records up to the root's handler; its access log is off
        # (the request layer writes one line per request).
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "werkzeug": {"level": "INFO", "handlers": [], "propagate": True, "filters": ["no_werkzeug_requests"]},
            # Request lines are written whatever LOG_LEVEL says: they are the access log.
            REQUEST_LOGGER: {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def configure_logging(level: str) -> None:
    """Send every log record to stdout as one JSON line; safe to call again (tests build many apps)."""
    # Every request writes a line, so a record should cost no more than its line needs: the lines name
    # no thread, process or source line, so the standard library is told not to look them up (the
    # logging HOWTO's "Optimization"), and orjson encodes them. With both, a one-row read spends
    # about 45 µs less of its ~600 µs of CPU on its line.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    logging.config.dictConfig(logging_config(level))


def assign_request_id(environ: WSGIEnvironment) -> str:
    """The request's id, kept in its environ: the client's X-Request-ID if harmless to log, else a new one."""
    incoming = environ.get("HTTP_X_REQUEST_ID")
    request_id: str = incoming if incoming and REQUEST_ID_PATTERN.fullmatch(incoming) else uuid.uuid4().hex
    environ[REQUEST_ID_KEY] = request_id
    return request_id


def current_request_id() -> str | None:
    """The id of the request being handled (for error bodies and log lines)."""
    if not has_request_context():
        return None
    request_id: str | None = request.environ.get(REQUEST_ID_KEY)
    return request_id


def request_level(status: int) -> int:
    if status >= 500:
        return logging.ERROR
    return logging.WARNING if status >= 400 else logging.INFO


def emf_record(environment: str, status: int, duration_ms: float, timestamp_ms: int) -> dict[str, Any]:
    """One request's metrics as an EMF record: the `_aws` directive at the root, values beside it."""
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": SERVICE_NAME,
                    "Dimensions": [["Service", "Environment"]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, unit in METRICS],
                }
            ],
        },
        "Service": SERVICE_NAME,
        "Environment": environment,
        "Latency": round(duration_ms, 3),
        "Requests": 1,
        "ClientErrors": int(400 <= status < 500),
        "Errors": int(status >= 500),
    }


class MetricsSink:
    """Sends EMF records to the CloudWatch agent over UDP; does nothing without an endpoint."""

    def __init__(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        self.address = (parts.hostname, parts.port or 25888) if endpoint else None
        self.socket: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, record: dict[str, Any]) -> None:
        if self.address is None:
            return
        try:
            if self.socket is None:
                # Connected once: the agent's Service name is resolved once, not per request.
                self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.socket.setblocking(False)
                self.socket.connect(self.address)
            self.socket.send(json.dumps(record, separators=(",", ":")).encode())
        except OSError as error:
            # A missing agent (or a full buffer) loses a metric, never a request.
            logging.getLogger(__name__).debug("EMF record not sent to %s: %s", self.address, error)
            if self.socket is not None:
                self.socket.close()
                self.socket = None


def span_exporter(endpoint: str) -> SpanExporter:
    """OTLP over HTTP to the CloudWatch agent (OTEL_EXPORTER_OTLP_ENDPOINT); the tests swap this."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")


def init_tracing(app: Flask, settings: Settings) -> None:
    """Trace requests (and, through `db`, their SQL) when an OTLP endpoint is set; off otherwise."""
    if not settings.otel_exporter_otlp_endpoint:
        return
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME, "deployment.environment.name": settings.app_env})
    provider = TracerProvider(resource=resource)
    # Batched in a thread: a slow or absent agent never holds up a request.
    provider.add_span_processor(BatchSpanProcessor(span_exporter(settings.otel_exporter_otlp_endpoint)))
    FlaskInstrumentor().instrument_app(  # type: ignore[no-untyped-call]
        app, tracer_provider=provider, excluded_urls="livez,readyz"
    )
    app.extensions["tracer_provider"] = provider


def trace_engine(app: Flask, engine: Engine) -> None:
    """Spans for the SQL an engine runs, when `app` traces.

    The instrumentation's EngineTracer on this one engine: its `SQLAlchemyInstrumentor` would patch
    `create_engine` process-wide (one provider for every app), and declares "sqlalchemy < 2.1"
    although the engine events it listens to are unchanged in 2.1.
    """
    provider = app.extensions.get("tracer_provider")
    if provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    connections = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(  # type: ignore[no-untyped-call]
        provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine, connections
    )


def sql_span(app: Flask, statement: str, database: str | None) -> AbstractContextManager[Any]:
    """A span for SQL run below SQLAlchemy's events (`db.first_row`), like the instrumentation's own."""
    provider = app.extensions.get("tracer_provider")
    if provider is None:
        return nullcontext()
    from opentelemetry.trace import SpanKind

    name = " ".join(part for part in (statement.split(maxsplit=1)[0], database) if part)
    attributes = {"db.system": "postgresql", "db.name": database or "", "db.statement": statement}
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    return tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes)  # type: ignore[no-any-return]


def init_app(app: Flask, settings: Settings) -> None:
    """JSON logs, the metrics sink and (when configured) tracing for `app`."""
    configure_logging(settings.log_level)
    app.extensions["metrics"] = MetricsSink(settings.aws_emf_agent_endpoint)
    init_tracing(app, settings)
