"""Alternative: the stack teams usually pick for a Flask API, serving GET /api/v1/items/<id>.

APIFlask (marshmallow schemas, webargs, apispec) with Flask-SQLAlchemy's ORM session and model,
written as their documentation shows: the generated app should beat this by `ratio vs alternative`.
BASELINE_DATABASE_URL names the database (the app's `items` table, already migrated).
"""

import os

from apiflask import APIFlask, Schema
from apiflask.fields import DateTime, Integer, String
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

app = APIFlask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"].replace(
    "postgresql://", "postgresql+psycopg2://", 1
)
db = SQLAlchemy(app)


class Item(db.Model):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    description: Mapped[str | None]
    quantity: Mapped[int]
    created_at = db.Column(db.DateTime(timezone=True))
    updated_at = db.Column(db.DateTime(timezone=True))


class ItemOut(Schema):
    id = Integer()
    name = String()
    description = String(allow_none=True)
    quantity = Integer()
    created_at = DateTime()
    updated_at = DateTime()


@app.get("/api/v1/items/<int:item_id>")
@app.output(ItemOut)
def read_item(item_id):
    return db.get_or_404(Item, item_id)
