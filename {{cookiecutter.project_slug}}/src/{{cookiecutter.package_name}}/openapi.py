"""The schema-first API: what every resource gets without declaring it.

The app is a flask-openapi3 `OpenAPI` app. A view's pydantic models (`path`, `query`, `body`
parameters and `responses`) validate its requests and write its part of the OpenAPI document. This
module adds the rules every operation under `/api/` shares, so a resource module declares only what
is its own:

- a body is a JSON object sent as `application/json` (415, 413 and 400 otherwise; duplicate keys
  refused), read before pydantic sees it; a query parameter is given at most once;
- the document lists the statuses and headers every operation has (errors, `X-Request-ID`,
  `Retry-After`, `WWW-Authenticate`) and the bearer scheme, and is served at `/openapi.json`.

`flask --app {{ cookiecutter.package_name }}.wsgi openapi --output openapi.json --indent 2` writes
the document to the snapshot the tests compare it with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from flask import Request, Response, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_openapi3 import APIBlueprint, Info, OpenAPI
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from werkzeug.exceptions import RequestEntityTooLarge

from . import auth
from .errors import ApiError, ErrorBody, validation_failed

API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# ASCII digits only, and few enough that int() stays cheap: pydantic alone would take "+5", " 5", "1_0".
QUERY_DIGITS = re.compile(r"[0-9]{1,10}")


class Body(BaseModel):
    """Base of request bodies: JSON types only (no "3" for 3), no field the model does not declare."""

    model_config = ConfigDict(strict=True, extra="forbid")


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; strict pydantic would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _query_digits(value: Any) -> Any:
    if isinstance(value, str) and not QUERY_DIGITS.fullmatch(value):
        raise ValueError("not ASCII digits")
    return value


INTEGRAL_FLOATS = BeforeValidator(_whole_number)
"""Put last in an int field's Annotated: JSON's 3.0 counts as 3 (true and "3" still do not)."""

QueryInt = Annotated[int, BeforeValidator(_query_digits)]
"""An integer in a query string: 1 to 10 ASCII digits."""

DatabaseId = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A row's id (PostgreSQL's integer), in a path or a body."""


def _utc(moment: datetime) -> datetime:
    # SQLite drops the zone; every stored moment is UTC, so say so explicitly.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
"""A stored moment in a response, always with its zone."""

NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r ][^\u0000]*$"


def text(low: int, high: int, *, blank: bool = True) -> Any:
    """A string field PostgreSQL can store (no NUL) of `low`..`high` characters; `blank=False` needs a non-blank."""
    if blank:
        return Field(min_length=low, max_length=high, pattern=NO_NUL, description="without NUL characters")
    rule = "not all blank, without NUL characters"
    return Field(min_length=low, max_length=high, pattern=NOT_BLANK, description=rule)


class DuplicateKeyError(ValueError):
    """A JSON object names one key twice."""


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(f"The body names the key {key!r} more than once.")
        result[key] = value
    return result


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing objects with a duplicate key (which would otherwise keep the last one)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, object_pairs_hook=_refuse_duplicate_keys, **kwargs)


class ApiRequest(Request):
    """Flask's request, reporting a body that is not JSON in the API's error contract."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, DuplicateKeyError):
            raise ApiError(400, "bad_request", str(e))
        raise ApiError(400, "bad_request", "The body must be a JSON object.")


class Api(OpenAPI):
    """The Flask app: flask-openapi3's, answering OPTIONS with 204 and `Allow`, like the rest of the API."""

    json_provider_class = StrictJSONProvider
    request_class = ApiRequest

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        response.headers.pop("Content-Type", None)
        return response


def new_app(import_name: str, *, title: str, version: str, description: str) -> Api:
    """The app object `create_app` builds on; the document is served by this module, not the library's UI."""
    return Api(
        import_name,
        info=Info(title=title, version=version, description=description),
        security_schemes={auth.SCHEME: auth.security_scheme()},
        doc_ui=False,
        validation_error_status=422,
        validation_error_model=ErrorBody,
        validation_error_callback=validation_failed,
    )


def _read_json_object() -> None:
    """Check and parse the body of a POST/PUT/PATCH; pydantic then reads the parsed value."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    _refuse_oversized_chunked_body()
    payload = request.get_json()  # Cached: flask-openapi3 validates the same parsed value.
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")


def _refuse_oversized_chunked_body() -> None:
    """413 for a chunked body past the limit: werkzeug stops reading there without saying so."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None:
        return
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def _refuse_repeated_query_parameters() -> None:
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        fields = dict.fromkeys(repeated, "must be given once")
        raise ApiError(422, "validation_failed", "Some query parameters are invalid.", fields)


def check_request() -> None:
    """Run on every request to the API, in order: the token (`auth`), the query string, the body."""
    if not request.path.startswith(API_PREFIX) or request.routing_exception is not None:
        return  # Routing answers 404 and 405 first, token or not.
    auth.authenticate()
    _refuse_repeated_query_parameters()
    if request.method in BODY_METHODS:
        _read_json_object()


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`model` as a JSON response, serialised by pydantic."""
    return current_app.response_class(model.model_dump_json(), status, headers, mimetype="application/json")


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
HEADERS = {
    "X-Request-ID": {
        "description": "The request's id: the one sent if it is 1 to 128 of A-Z a-z 0-9 . _ : = -, else a new one.",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The URL of what was created.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "The bearer challenge (RFC 6750).", "schema": {"type": "string"}},
}
# The errors every API operation may answer, by status: (name in components, description, headers).
ERRORS = {
    "400": ("BadRequest", "The body is not a JSON object, or names a key twice.", ()),
    "401": ("Unauthorized", "A valid bearer token is required.", ("WWW-Authenticate",)),
    "404": ("NotFound", "No such resource.", ()),
    "405": ("MethodNotAllowed", "The method is not allowed here; `Allow` lists those that are.", ()),
    "413": ("ContentTooLarge", "The body is larger than the limit.", ()),
    "415": ("UnsupportedMediaType", "The body is not application/json.", ()),
    "422": ("ValidationFailed", "Some parameters or fields are invalid; `fields` says what is allowed.", ()),
    "500": ("InternalError", "An unexpected error; the request id finds it in the logs.", ()),
    "503": ("Unavailable", "The database or the token issuer is unavailable, or busy.", ("Retry-After",)),
    "504": ("Timeout", "The database did not answer in time.", ("Retry-After",)),
}

# What gunicorn answers itself, before the app sees the request: no JSON body, no request id.
SERVER = {"414": ("UriTooLong", "The URL is longer than the server reads (4094 bytes).")}


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Request-ID", *names)}


def _statuses(path: str, method: str, operation: dict[str, Any], requires_token: Callable[[str], bool]) -> set[str]:
    """The shared statuses of an operation: which of `check_request`, `errors` and `auth` apply to it."""
    statuses = {"405", "414", "422", "500", "503", "504"}
    if "requestBody" in operation:
        statuses |= {"400", "413", "415"}
    if "{" in path:
        statuses.add("404")
    if requires_token(method.upper()):
        statuses.add("401")
    return statuses


def complete(document: dict[str, Any], requires_token: Callable[[str], bool]) -> dict[str, Any]:
    """The library's document plus the statuses, headers and security every operation shares."""
    components = document.setdefault("components", {})
    components["headers"] = HEADERS
    components["responses"] = {
        name: {"description": description, "content": ERROR_CONTENT, "headers": _header_refs(*headers)}
        for name, description, headers in ERRORS.values()
    }
    components["responses"] |= {name: {"description": description} for name, description in SERVER.values()}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            shared = _statuses(path, method, operation, requires_token)
            # The library's own 422 (a list of pydantic errors) is replaced by the API's.
            responses = {status: r for status, r in operation.get("responses", {}).items() if status not in shared}
            for status, response in responses.items():  # The operation's own: 200, 201, 409, 412...
                if int(status) >= 400:
                    response.setdefault("content", ERROR_CONTENT)
                extra = ("Location",) if status == "201" else ()
                response["headers"] = {**response.get("headers", {}), **_header_refs(*extra)}
            for status in shared:
                name = ERRORS[status][0] if status in ERRORS else SERVER[status][0]
                responses[status] = {"$ref": f"#/components/responses/{name}"}
            operation["responses"] = dict(sorted(responses.items()))
            if requires_token(method.upper()):
                operation["security"] = [{auth.SCHEME: []}]
    return document


blueprint = APIBlueprint("openapi", __name__, doc_ui=False)


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI document of the app."""
    document: dict[str, Any] = current_app.api_doc  # type: ignore[attr-defined]
    return jsonify(document)


def init_app(app: Api) -> None:
    """Check every API request; complete and freeze the document once every resource is registered."""
    app.before_request(check_request)
    app.register_api(blueprint)
    app.spec_json = complete(app.api_doc, app.extensions["auth"].requires_token)
