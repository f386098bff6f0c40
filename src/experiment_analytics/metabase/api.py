"""Every Metabase endpoint the publisher calls, one named method each (CONTRACT.md and
SERVER-BEHAVIOUR.md in the shared API notes are the reference for each request).

Publishers never build paths themselves; they call these methods. `what` names the object in
error messages ("card experiment_overview.experiments_table: Metabase answered 400 ...").
No method sends `entity_id`: the server ignores it and assigns its own (SERVER-BEHAVIOUR §1).
"""

from __future__ import annotations

from typing import Any

from experiment_analytics.metabase.client import MetabaseClient, items

Json = dict[str, Any]


class MetabaseApi:
    def __init__(self, client: MetabaseClient) -> None:
        self.client = client

    @property
    def url(self) -> str:
        return self.client.url

    # -- session ---------------------------------------------------------------------------
    def session_properties(self) -> Json:
        return self.client.get("/api/session/properties", what="read Metabase version")

    # -- databases, fields -----------------------------------------------------------------
    def list_databases(self) -> list[Json]:
        return items(self.client.get("/api/database", what="list databases"))

    def create_database(self, body: Json, *, what: str) -> Json:
        return self.client.post("/api/database", body, what=what)

    def database_metadata(self, database_id: int) -> Json:
        return self.client.get(
            f"/api/database/{database_id}/metadata",
            params={"include_hidden": "true"},
            what="read database metadata",
        )

    def sync_schema(self, database_id: int) -> None:
        self.client.post(f"/api/database/{database_id}/sync_schema", None, what="schema sync")

    def update_field(self, field_id: int, body: Json, *, what: str) -> Json:
        return self.client.put(f"/api/field/{field_id}", body, what=what)

    # -- collections -----------------------------------------------------------------------
    def root_collections(self, *, archived: bool) -> list[Json]:
        """Collections directly under Metabase's root ("Our analytics")."""
        return [
            item
            for item in items(
                self.client.get(
                    "/api/collection/root/items",
                    params={"models": "collection", "archived": str(archived).lower()},
                    what="list root collections",
                )
            )
            if item.get("model", "collection") == "collection"
        ]

    def collection_items(
        self, collection_id: int, models: tuple[str, ...], *, archived: bool
    ) -> list[Json]:
        params: list[tuple[str, Any]] = [("models", m) for m in models]
        params.append(("archived", str(archived).lower()))
        found = items(
            self.client.get(
                f"/api/collection/{collection_id}/items",
                params=params,
                what=f"list collection {collection_id}",
            )
        )
        for item in found:
            item.setdefault("collection_id", collection_id)
            item.setdefault("archived", archived)
        return found

    def create_collection(self, body: Json, *, what: str) -> Json:
        return self.client.post("/api/collection", body, what=what)

    def update_collection(self, collection_id: int, body: Json, *, what: str) -> Json:
        return self.client.put(f"/api/collection/{collection_id}", body, what=what)

    # -- cards -----------------------------------------------------------------------------
    def get_card(self, card_id: int, *, what: str) -> Json:
        return self.client.get(f"/api/card/{card_id}", what=what)

    def create_card(self, body: Json, *, what: str) -> Json:
        assert "entity_id" not in body, "the server assigns entity ids"
        return self.client.post("/api/card", body, what=what)

    def update_card(self, card_id: int, body: Json, *, what: str) -> Json:
        return self.client.put(f"/api/card/{card_id}", body, what=what)

    # -- dashboards ------------------------------------------------------------------------
    def get_dashboard(self, dashboard_id: int, *, what: str) -> Json:
        return self.client.get(f"/api/dashboard/{dashboard_id}", what=what)

    def create_dashboard(self, body: Json, *, what: str) -> Json:
        return self.client.post("/api/dashboard", body, what=what)

    def update_dashboard(self, dashboard_id: int, body: Json, *, what: str) -> Any:
        return self.client.put(f"/api/dashboard/{dashboard_id}", body, what=what)

    # -- groups and permissions ------------------------------------------------------------
    def list_groups(self) -> list[Json]:
        return items(self.client.get("/api/permissions/group", what="list groups"))

    def create_group(self, name: str, *, what: str) -> Json:
        return self.client.post("/api/permissions/group", {"name": name}, what=what)

    def collection_graph(self) -> Json:
        return self.client.get("/api/collection/graph", what="read collection permissions")

    def update_collection_graph(self, body: Json) -> Any:
        # Revision-checked: never repeated blindly (a repeat would carry a stale revision).
        return self.client.put(
            "/api/collection/graph", body, what="collection permissions", once=True
        )

    def data_graph(self) -> Json:
        return self.client.get("/api/permissions/graph", what="read data permissions")

    def update_data_graph(self, body: Json) -> Any:
        return self.client.put("/api/permissions/graph", body, what="data permissions", once=True)

    # -- alerts (notifications, 0.54+) -----------------------------------------------------
    def notifications_of_card(self, card_id: int) -> list[Json]:
        """Card notifications whose payload is this card, active or not (the filters are
        optional on the server: the answer is filtered here too)."""
        found = items(
            self.client.get(
                "/api/notification",
                params={"card_id": card_id, "include_inactive": "true"},
                what=f"alerts of card {card_id}",
            )
        )
        return [
            n
            for n in found
            if n.get("payload_type") == "notification/card"
            and (n.get("payload") or {}).get("card_id", n.get("payload_id")) == card_id
        ]

    def create_notification(self, body: Json, *, what: str) -> Json:
        return self.client.post("/api/notification", body, what=what)

    def update_notification(self, notification_id: int, body: Json, *, what: str) -> Json:
        return self.client.put(f"/api/notification/{notification_id}", body, what=what)

    # -- dashboard subscriptions (pulses) --------------------------------------------------
    def pulses_of_dashboard(self, dashboard_id: int, *, archived: bool = False) -> list[Json]:
        found = items(
            self.client.get(
                "/api/pulse",
                params={"dashboard_id": dashboard_id, "archived": str(archived).lower()},
                what=f"subscriptions of dashboard {dashboard_id}",
            )
        )
        for pulse in found:
            pulse.setdefault("archived", archived)
        return [p for p in found if p.get("dashboard_id") in (dashboard_id, None)]

    def create_pulse(self, body: Json, *, what: str) -> Json:
        return self.client.post("/api/pulse", body, what=what)

    def update_pulse(self, pulse_id: int, body: Json, *, what: str) -> Json:
        return self.client.put(f"/api/pulse/{pulse_id}", body, what=what)
