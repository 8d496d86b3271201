"""Control: the bare Flask hello route plus the response headers the app adds to /livez.

Not a target, a measurement: how much of the app's /livez gap is gunicorn handling those headers.
bench/run.py copies them (security headers, Cache-Control, X-Request-ID) from one of the app's own
/livez responses into BASELINE_HEADERS, a JSON list of [name, value] pairs.
"""

import json
import os

from hello import app

HEADERS = [tuple(pair) for pair in json.loads(os.environ["BASELINE_HEADERS"])]


def add_headers(wsgi_app):
    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            headers.extend(HEADERS)
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return wrapped


app.wsgi_app = add_headers(app.wsgi_app)
