"""Baseline: a bare Flask app whose only route answers a fixed JSON body, like /livez."""

from flask import Flask

app = Flask(__name__)


@app.get("/livez")
def livez():
    return {"status": "ok"}
