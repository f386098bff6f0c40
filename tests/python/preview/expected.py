"""What a card should show, computed by the tests on their own: the card's compiled SQL with its
optional clauses filled by hand-written conditions (not by the preview's substitution)."""

from __future__ import annotations

import decimal
import re
from typing import Any

from experiment_analytics.warehouse import connect

OPTIONAL_CLAUSE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
TAG = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
# Metabase's `pastNdays`: the N whole days before today (today excluded).
DEFAULT_CONDITIONS = {"date_range": "{column} between current_date - 30 and current_date - 1"}


def filled_sql(project, card, sql: str, conditions: dict[str, str]) -> str:
    """`conditions`: filter id -> SQL template on `{column}`; clauses of other filters dropped."""
    by_tag = {mapping.tag: (filter_id, mapping) for filter_id, mapping in card.filters.items()}

    def fill(match: re.Match[str]) -> str:
        clause = match.group(1)
        for tag in TAG.findall(clause):
            filter_id, mapping = by_tag[tag]
            if filter_id not in conditions:
                return ""
            model = project.models[mapping.field.model]
            column = f'"{model.schema}"."{model.alias}"."{mapping.field.column}"'
            clause = TAG.sub(conditions[filter_id].format(column=column), clause, count=1)
        return clause

    return OPTIONAL_CLAUSE.sub(fill, sql)


def plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def query_rows(settings, sql: str) -> tuple[list[str], list[dict[str, Any]]]:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            names = [column.name for column in cur.description]
            return names, [
                {n: plain(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()
            ]
    finally:
        conn.close()


def card_rows(settings, project, card, conditions: dict[str, str]):
    sql = project.analyses[card.query].compiled_sql
    return query_rows(settings, filled_sql(project, card, sql, conditions))
