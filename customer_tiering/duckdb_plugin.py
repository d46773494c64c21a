"""The project's dbt-duckdb plugin (profiles.yml): sets the DuckDB variable tiering_hash_key on
every cursor from the environment variable TIERING_HASH_KEY, the secret of the keyed email hash
(macros/keyed_hash.sql). The key goes through a prepared statement: it never appears in the SQL
that dbt writes to target/ or logs/."""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

KEY_VARIABLE = "TIERING_HASH_KEY"


class Plugin(BasePlugin):
    def configure_cursor(self, cursor: Any) -> None:
        cursor.execute("set variable tiering_hash_key = ?", [os.environ.get(KEY_VARIABLE, "")])
