"""The error responses of the double, shaped like Metabase's."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: status plus a JSON (or plain text) body, as Metabase sends it."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def invalid(field: str, message: str) -> ApiError:
    """400 with Metabase's schema-validation shape: {"errors": {field: message}}."""
    return ApiError(400, {"errors": {field: message}, "specific-errors": {field: [message]}})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"message": message})


def not_found() -> ApiError:
    # Metabase answers a missing entity with the plain text "Not found."
    return ApiError(404, "Not found.")


def no_endpoint() -> ApiError:
    # An unknown route or a method a route does not have (e.g. DELETE /api/notification/1).
    return ApiError(404, "API endpoint does not exist.")


def unauthenticated() -> ApiError:
    return ApiError(401, "Unauthenticated")


def forbidden() -> ApiError:
    return ApiError(403, "You don't have permissions to do that.")


def stale_revision() -> ApiError:
    return ApiError(
        409,
        {
            "message": "Looks like someone else edited the permissions and your data is out of "
            "date. Please fetch new data and try again."
        },
    )
