"""`rerec serve`: the HTTP contract — answers, every malformed request a 4xx with a message, overload a 503."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from fastapi.testclient import TestClient
from serve_fixtures import ScriptedAssistant, movie_world

from rerec.serve.api import API_KEY_ENV, MAX_BODY_BYTES, ServeConfig, create_app
from rerec.serve.batcher import Batcher, QueueFullError

LOOPBACK = "http://127.0.0.1"  # the default server answers loopback Host names only
ANSWER = "Step 1: Jaws (1975) was directed by Steven Spielberg.\n\\boxed{Close Encounters of the Third Kind (1977)}"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with TestClient(create_app(ScriptedAssistant(movie_world(), [ANSWER])), base_url=LOOPBACK) as c:
        yield c


def test_recommend_answers_with_items_steps_and_latency(client):
    resp = client.post("/v1/recommend", json={"query": "films by the director of Jaws", "k": 2})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [i["title"] for i in body["items"]] == [
        "Close Encounters of the Third Kind (1977)",
        "Raiders of the Lost Ark (1981)",
    ]
    assert body["steps"][0]["verdict"] == "true" and body["latency_s"] > 0
    assert client.get("/healthz").json() == {"status": "ok", "model": "smollm2-135m-instruct", "items": 8}


def test_page_and_schema_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "/v1/recommend" in page.text and 'id="query"' in page.text
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/v1/recommend"]["post"]["requestBody"]["required"] is True


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 422, "JSON"),
        ({}, 422, "query"),
        ({"query": 42}, 422, "string"),
        ({"query": "a comedy", "k": "ten"}, 422, "integer"),
        ({"query": "a comedy", "k": 0}, 422, "greater than or equal to 1"),
        ({"query": "a comedy", "k": 51}, 422, "less than or equal to 50"),
        ({"query": ""}, 422, "at least 1 character"),
        ({"query": "   "}, 422, "pattern"),
        ({"query": "\u200b\u200b\ufeff"}, 422, "pattern"),  # zero-width only: empty
        ({"query": "a comedy", "k": "5"}, 422, "JSON number"),  # a string is not a number
        ({"query": "a comedy", "k": True}, 422, "JSON number"),
        ({"query": "a comedy", "k": 5.5}, 422, "fractional part"),
        ({"query": "a comedy", "liked": ["\u200b"]}, 422, "pattern"),
        ({"query": "x" * 2001}, 422, "at most 2000"),
        ({"query": "a comedy", "user_id": "ghost"}, 404, "unknown user 'ghost'"),
        ({"query": "a comedy", "liked": ["Solaris"]}, 404, "not in the catalog: Solaris"),
        ({"query": "a comedy", "liked": [""]}, 422, "at least 1 character"),
        ({"query": "a comedy", "liked": "Alien"}, 422, "list"),
        ({"query": "a comedy", "surprise": 1}, 422, "Extra inputs"),
        ([{"query": "a comedy"}], 422, "dictionary"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(client, body, status, message):
    if isinstance(body, str):
        resp = client.post("/v1/recommend", content=body, headers={"Content-Type": "application/json"})
    else:
        resp = client.post("/v1/recommend", json=body)
    assert resp.status_code == status, resp.text
    assert message in json.dumps(resp.json()["detail"])


def test_huge_and_unsized_bodies_are_refused_unread(client):
    huge = json.dumps({"query": "x" * (MAX_BODY_BYTES + 1)})
    resp = client.post("/v1/recommend", content=huge, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and "bytes" in resp.json()["detail"]
    chunks = iter([b'{"query": "a comedy"}'])
    resp = client.post("/v1/recommend", content=chunks, headers={"Content-Type": "application/json"})
    assert resp.status_code == 411


def test_api_key_is_enforced_when_set(monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "s3cret")
    with TestClient(create_app(ScriptedAssistant(movie_world(), [ANSWER])), base_url=LOOPBACK) as c:
        body = {"query": "a comedy"}
        assert c.post("/v1/recommend", json=body).status_code == 401
        assert c.post("/v1/recommend", json=body, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post("/v1/recommend", json=body, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.post("/v1/recommend", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes need no key


class SlowAssistant(ScriptedAssistant):
    """Generation blocks until released, so tests can fill the queue or pass a deadline."""

    def __init__(self):
        super().__init__(movie_world(), [ANSWER])
        self.release = threading.Event()

    def generate(self, prompts):
        self.release.wait(10)
        return super().generate(prompts)


def test_overload_is_a_503_and_a_deadline_a_504(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    slow = SlowAssistant()
    with TestClient(create_app(slow, ServeConfig(max_batch=1, max_queue=1, timeout_s=0.5)), base_url=LOOPBACK) as c:
        results = {}

        def ask(name):
            results[name] = c.post("/v1/recommend", json={"query": "a comedy"})

        first = threading.Thread(target=ask, args=("first",))
        first.start()
        while not c.app.state.batcher.batches:  # the first request is being generated
            threading.Event().wait(0.01)
        second = threading.Thread(target=ask, args=("second",))
        second.start()
        while c.app.state.batcher.queue.empty():  # the second waits in the queue
            threading.Event().wait(0.01)
        third = c.post("/v1/recommend", json={"query": "a comedy"})
        assert third.status_code == 503 and third.headers["retry-after"] == "1"
        first.join()
        second.join()
        slow.release.set()
        assert results["first"].status_code == 504 and "no answer within 0.5 s" in results["first"].json()["detail"]


def test_batcher_groups_concurrent_requests_and_skips_expired_ones():
    seen = []

    def handle(batch):
        seen.append(list(batch))
        return [x * 2 for x in batch]

    async def scenario():
        batcher = Batcher(handle, max_batch=4, max_queue=8)
        batcher.start()
        results = await asyncio.gather(*(batcher.submit(n, 5) for n in range(6)))
        await batcher.stop()
        return results, batcher.batches

    results, batches = asyncio.run(scenario())
    assert results == [0, 2, 4, 6, 8, 10] and batches == [4, 2] and seen == [[0, 1, 2, 3], [4, 5]]


def test_batcher_reports_full_queues_and_failed_batches():
    def boom(batch):
        raise RuntimeError("model crashed")

    async def scenario():
        batcher = Batcher(boom, max_batch=1, max_queue=1)
        first = asyncio.ensure_future(batcher.submit(1, 5))
        await asyncio.sleep(0)
        with pytest.raises(QueueFullError):
            await batcher.submit(2, 5)
        batcher.start()
        with pytest.raises(RuntimeError, match="model crashed"):
            await first
        await batcher.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "raw",
    [
        '{"query": "a comedy", "k": 1e309}',  # infinity once parsed
        '{"query": "a comedy", "k": NaN}',
        '{"query": "a comedy", "k": -Infinity}',
        '{"query": "\\ud800"}',  # a lone surrogate in each text field
        '{"query": "a comedy", "user_id": "\\ud800"}',
        '{"query": "a comedy", "liked": ["\\udfff"]}',
    ],
)
def test_hostile_numbers_and_surrogates_are_a_422_not_a_500(client, raw):
    resp = client.post("/v1/recommend", content=raw.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    detail = json.dumps(resp.json()["detail"])
    assert any(why in detail for why in ("unicode string", "surrogate", "finite")), detail
    resp.content.decode("ascii")  # the error body is plain ASCII JSON


def test_not_found_details_reveal_no_server_path(client):
    resp = client.post("/v1/recommend", json={"query": "a comedy", "user_id": "ghost"})
    assert resp.status_code == 404 and "/" not in resp.json()["detail"]
    assert client.get("/etc/passwd").json() == {"detail": "Not Found"}


def test_only_loopback_host_names_are_answered_by_default(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    app = create_app(ScriptedAssistant(movie_world(), [ANSWER]))
    with TestClient(app, base_url="http://attacker.example") as c:  # a DNS-rebound name pointing at 127.0.0.1
        assert c.post("/v1/recommend", json={"query": "a comedy"}).status_code == 400
        assert c.get("/").status_code == 400
    for base in ("http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"):
        with TestClient(app, base_url=base) as c:
            assert c.get("/healthz").status_code == 200, base
    wide = create_app(ScriptedAssistant(movie_world(), [ANSWER]), ServeConfig(allowed_hosts=["recs.example.org"]))
    with TestClient(wide, base_url="http://recs.example.org") as c:
        assert c.get("/healthz").status_code == 200
    assert ServeConfig(host="0.0.0.0").hosts() == ["*"]  # exposed on purpose: the operator names its hosts


def test_unfinished_requests_are_cut_off(monkeypatch):
    import socket
    import time

    from rerec.serve.api import background_server

    monkeypatch.delenv(API_KEY_ENV, raising=False)
    app = create_app(ScriptedAssistant(movie_world(), [ANSWER]))
    partial = {
        "silent": b"",
        "headers": b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
        "body": b'POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"query": ',
    }
    with background_server(app, read_timeout_s=0.5) as base:
        port = int(base.rsplit(":", 1)[1])
        for name, data in partial.items():
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(data)
                began = time.monotonic()
                while s.recv(4096):  # whatever the server says, it must then close the connection
                    pass
                assert time.monotonic() - began < 4, name
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:  # a whole request is still answered
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
