from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_is_public_and_lists_the_api(client: TestClient) -> None:
    res = client.get("/openapi.json")
    assert res.status_code == 200
    assert "/api/v1/users" in res.json()["paths"]


def test_api_without_token_is_refused_with_problem_json(client: TestClient) -> None:
    res = client.get("/api/v1/users")
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "bearer" in res.json()["detail"].lower()


def test_an_admin_token_reaches_the_api(admin: object) -> None:
    res = admin.get("/api/v1/users/me")  # type: ignore[attr-defined]
    assert res.status_code == 200
    assert res.json()["email"] == "admin@example.test"


def test_a_malformed_body_without_a_token_is_refused_as_unauthenticated(client: TestClient) -> None:
    res = client.post(
        "/api/v1/tickets", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert res.status_code == 401
    res = client.post(
        "/api/v1/tickets",
        content=b"{not json",
        headers={"content-type": "application/json", "authorization": "Bearer nope"},
    )
    assert res.status_code == 401


def test_a_malformed_body_with_a_token_names_the_json_fault(admin: object) -> None:
    res = admin.post(  # type: ignore[attr-defined]
        "/api/v1/tickets", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert res.status_code == 422
    assert res.json()["detail"] == "malformed JSON body"


def test_the_api_docs_page_works_offline_from_vendored_files(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "cdn." not in page.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
