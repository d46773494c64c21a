"""What a BI tool sees of the serving marts through SQLAlchemy (Superset, and what the README's
connection settings give), against what the marts' YAML documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

# The families of the types the contracts use (data_type in models/marts/**.yml).
DOCUMENTED_FAMILIES = {
    "boolean": "boolean",
    "date": "date",
    "double precision": "float",
    "integer": "integer",
    "timestamp": "timestamp",
    "varchar": "text",
}
NUMERIC = re.compile(r"numeric\((\d+), *(\d+)\)")


@dataclass(frozen=True)
class Column:
    """A column as a BI tool lists it: name, type family, description."""

    name: str
    family: str
    description: str


def documented_columns(manifest: Path, mart: str) -> list[Column]:
    """The columns of `mart` as its YAML documents them, in the manifest `dbt build` wrote."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    node = nodes[f"model.tiering.{mart}"]
    return [
        Column(name, _documented_family(column["data_type"]), column["description"].strip())
        for name, column in node["columns"].items()
    ]


def reflected_columns(engine: sa.Engine, schema: str, mart: str) -> list[Column]:
    """The columns of `schema.mart` as SQLAlchemy reflects them (its inspector, as BI tools do)."""
    inspector = sa.inspect(engine)
    return [
        Column(column["name"], _reflected_family(column["type"]), (column["comment"] or "").strip())
        for column in inspector.get_columns(mart, schema=schema)
    ]


def _documented_family(data_type: str) -> str:
    numeric = NUMERIC.fullmatch(data_type)
    if numeric:
        return f"numeric({numeric[1]},{numeric[2]})"
    return DOCUMENTED_FAMILIES[data_type]


def _reflected_family(type_: sa.types.TypeEngine[object]) -> str:
    # Order matters: Float is a Numeric, BigInteger an Integer, DateTime not a Date.
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.Float):
        return "float"
    if isinstance(type_, sa.Numeric):
        return f"numeric({type_.precision},{type_.scale})"
    if isinstance(type_, sa.BigInteger):
        return "bigint"
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.DateTime):
        return "timestamp"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.String):
        return "text"
    return repr(type_)
