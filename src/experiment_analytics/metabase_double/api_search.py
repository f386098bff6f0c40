"""GET /api/search: exact-substring search over what the caller may see."""

from __future__ import annotations

from typing import Any

from experiment_analytics.metabase_double.errors import invalid
from experiment_analytics.metabase_double.routing import Request, route

# ---- search ---------------------------------------------------------------------------------
SEARCH_MODELS = (
    "dashboard",
    "table",
    "dataset",
    "segment",
    "collection",
    "measure",
    "transform",
    "document",
    "database",
    "action",
    "indexed-entity",
    "metric",
    "card",
)
_CARD_MODEL = {"question": "card", "model": "dataset", "metric": "metric"}


@route("GET", "/api/search")
def search(req: Request) -> Any:
    state = req.state
    user = req.admin
    q = (req.arg("q") or "").lower()
    archived = req.flag("archived")
    models = req.args("models")
    for model in models:
        if model not in SEARCH_MODELS:
            raise invalid("models", f"value must be one of: {', '.join(SEARCH_MODELS)}.")
    results: list[dict[str, Any]] = []

    def collection_summary(collection_id: int | None) -> dict[str, Any]:
        if collection_id is None:
            return {"id": "root", "name": "Our analytics", "authority_level": None, "type": None}
        c = state.collections[collection_id]
        return {
            "id": c["id"],
            "name": c["name"],
            "authority_level": c["authority_level"],
            "type": c["type"],
        }

    def add(model: str, item: dict[str, Any], **extra: Any) -> None:
        if models and model not in models:
            return
        if q and q not in str(item.get("name", "")).lower():
            return
        results.append(
            {
                "model": model,
                "id": item["id"],
                "name": item["name"],
                "description": item.get("description"),
                "archived": item.get("archived", False),
                "collection_position": item.get("collection_position"),
                "entity_id": item.get("entity_id"),
                **extra,
            }
        )

    for card in state.cards.values():
        if card["archived"] == archived and state.item_permission(user, card) != "none":
            add(
                _CARD_MODEL[card["type"]],
                card,
                collection=collection_summary(card["collection_id"]),
                database_id=card["database_id"],
                display=card["display"],
                dashboard_id=card["dashboard_id"],
            )
    for dashboard in state.dashboards.values():
        if dashboard["archived"] == archived and state.item_permission(user, dashboard) != "none":
            add("dashboard", dashboard, collection=collection_summary(dashboard["collection_id"]))
    for collection in state.collections.values():
        if (
            collection["archived"] == archived
            and state.collection_permission(user, collection["id"]) != "none"
        ):
            add(
                "collection", collection, collection=collection_summary(state.parent_id(collection))
            )
    if not archived:
        for table in state.tables.values():
            if table["active"]:
                add(
                    "table",
                    table,
                    table_id=table["id"],
                    database_id=table["db_id"],
                    table_schema=table["schema"],
                    display_name=table["display_name"],
                )
        for db in state.databases.values():
            add("database", db)
    return {
        "data": results,
        "models": models or None,
        "available_models": sorted({r["model"] for r in results}),
        "table_db_id": None,
        "total": len(results),
        "limit": None,
        "offset": None,
    }
