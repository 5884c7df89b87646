"""The API over HTTP: answers as JSON, refusals as ApiRefused with the API's own message."""

from __future__ import annotations

from typing import Any

import httpx

from vigil_cli.config import Target


class ApiRefused(Exception):
    """Vigil answered with an error status (or could not be reached)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class Api:
    def __init__(self, target: Target, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}
        self._http = httpx.Client(base_url=target.url, headers=headers, timeout=timeout)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, json=body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self._http.request(method, path, **kw)
        except httpx.HTTPError as error:
            raise ApiRefused(None, f"cannot reach {self._http.base_url}: {error}") from None
        body = _json(response)
        if response.is_error:
            raise ApiRefused(response.status_code, _message(response.status_code, body))
        return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text


def _message(status: int, body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        details = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in error.get("details") or [])
        return f"{status} {error.get('code')}: {details or error.get('message')}"
    if isinstance(body, dict) and "message" in body:
        return f"{status}: {body['message']}"
    return f"{status}: {body}"
