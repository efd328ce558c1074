"""`rerec serve`: the assistant over HTTP (FastAPI) — `POST /v1/recommend`, `GET /healthz`, the web page at `/`.

Safe defaults: the CLI binds 127.0.0.1 and then answers only requests addressed to a loopback name (a `Host`
check against DNS rebinding; `--allowed_hosts` widens it); when `REREC_API_KEY` is set, `/v1/*` needs it
(`Authorization: Bearer` or `X-API-Key`, compared in constant time); bodies over 64 KiB, or of unstated length,
are refused unread; a request must arrive whole within `read_timeout_s` (`serve.transport`); every request has a
deadline (504) and overload answers 503 with `Retry-After`. Bad input is a 4xx whose `detail` says what to fix —
never a 5xx: the schema is strict (`"k": "5"` or `true` is not a number), text must be valid Unicode with a
visible character, and error bodies are plain ASCII JSON that cannot fail to encode, whatever was sent.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import time
import unicodedata
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from rerec.serve.assistant import Assistant, NotFoundError, RequestError
from rerec.serve.assistant import Request as AssistantRequest
from rerec.serve.batcher import Batcher, QueueFullError
from rerec.serve.limits import MAX_K, MAX_QUERY_CHARS, VISIBLE_PATTERN

API_KEY_ENV = "REREC_API_KEY"
MAX_BODY_BYTES = 64 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class ServeConfig:
    """Server settings (the model and catalog come from `AssistantConfig`). `allowed_hosts`: the `Host` names
    answered; by default the loopback names when bound to a loopback address, any name otherwise."""

    host: str = field(
        default="127.0.0.1", metadata={"help": "Address to bind (0.0.0.0 exposes the server to the network)."}
    )
    port: int = field(default=8000, metadata={"help": "Port to listen on."})
    max_batch: int = field(default=8, metadata={"help": "Requests answered by one generate call."})
    max_queue: int = field(default=32, metadata={"help": "Waiting requests before the server answers 503."})
    timeout_s: float = field(default=120.0, metadata={"help": "Per-request deadline (504)."})
    read_timeout_s: float = field(
        default=10.0, metadata={"help": "A request must arrive whole (headers and body) within this."}
    )
    allowed_hosts: list[str] | None = field(
        default=None,
        metadata={"help": "Host header names to answer, e.g. recs.example.org (default: loopback names on loopback)."},
    )

    def hosts(self) -> list[str]:
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        return list(LOOPBACK_HOSTS) if _is_loopback(self.host) else ["*"]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _unicode(text: str) -> str:
    """Pydantic refuses a lone UTF-16 surrogate ("\\ud800" in JSON) in a top-level string but not in a list's;
    it is not text, so it is refused here too."""
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise ValueError("contains an unpaired UTF-16 surrogate; send valid Unicode text")
    return text


Title = Annotated[str, Field(min_length=1, max_length=300, pattern=VISIBLE_PATTERN), AfterValidator(_unicode)]


def _number(value):
    """JSON Schema's integer: a number without a fraction (`5`, `5.0`), never a string (`"5"`) or a boolean."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be an integer written as a JSON number, not a string or true/false")
    return value


class RecommendBody(BaseModel):
    # Python's `re` for `pattern`: the same engine as `visible()` and as schema-driven clients (hypothesis).
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        pattern=VISIBLE_PATTERN,
        description="Needs a visible character: white space and zero-width characters alone are empty.",
        examples=["a 90s crime thriller like Heat"],
    )
    user_id: str | None = Field(default=None, max_length=64, description="A user of the prepared data.")
    liked: list[Title] = Field(default_factory=list, max_length=20, description="Titles the user liked.")
    k: Annotated[int, BeforeValidator(_number)] = Field(default=10, ge=1, le=MAX_K, description="How many items.")


class Fact(BaseModel):
    item: str
    relation: str
    verdict: str
    entity: str | None = None
    same_as: str | None = None


class Step(BaseModel):
    text: str
    verdict: str = Field(description="true, false or unknown: what the knowledge graph says of the step")
    facts: list[Fact]


class Item(BaseModel):
    item_id: str
    title: str
    year: int | None
    score: float
    by: list[str] = Field(description="Who proposed it: the model and/or the retrieval sources")
    refuted: bool = Field(
        default=False, description="The answer's own steps claim something of it that the knowledge graph refutes"
    )


class SafeJSONResponse(JSONResponse):
    """ASCII JSON with no NaN/Infinity: encodes whatever a client sent (a lone surrogate, 1e309) without failing."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, default=str).encode("ascii")


def _problems(errors) -> list[dict]:
    """FastAPI's validation errors without the echoed `input` and `ctx`, which may hold what cannot be encoded
    (NaN, infinity, surrogates); `loc` and `msg` say what to fix."""
    return [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in errors]  # fmt: skip


class RecommendResponse(BaseModel):
    items: list[Item]
    steps: list[Step]
    warnings: list[str]
    completion: str
    timings: dict[str, float]
    latency_s: float


@contextmanager
def background_server(app: FastAPI, timeout_s: float = 30.0, read_timeout_s: float = 10.0) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a daemon thread; yields its base URL, stops it after.
    For benchmarks, scripts and tests that need a real HTTP server next to their own code."""
    import socket
    import threading

    import uvicorn

    from rerec.serve.transport import uvicorn_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, read_timeout_s, "warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server did not start on 127.0.0.1:{port} within {timeout_s:g} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _authorised(request: Request, key: str) -> bool:
    given = request.headers.get("x-api-key") or ""
    auth = request.headers.get("authorization") or ""
    if auth.lower().startswith("bearer "):
        given = auth[7:]
    return hmac.compare_digest(given.encode(), key.encode())


def create_app(assistant: Assistant, cfg: ServeConfig | None = None) -> FastAPI:
    """The app; `assistant` answers, a `Batcher` groups concurrent requests into one generate call."""
    cfg = cfg or ServeConfig()
    batcher = Batcher(assistant.answer_batch, cfg.max_batch, cfg.max_queue)
    page = resources.files("rerec.serve").joinpath("web/index.html").read_text(encoding="utf-8")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(
        title="rerec",
        description="Reasoning recommendations with verified steps.",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.batcher = batcher

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> SafeJSONResponse:
        return SafeJSONResponse({"detail": _problems(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> SafeJSONResponse:
        return SafeJSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        """Body limit and API key, before any body is parsed."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return SafeJSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        key = os.environ.get(API_KEY_ENV)
        if key and request.url.path.startswith("/v1/") and not _authorised(request, key):
            return SafeJSONResponse({"detail": f"missing or wrong API key (set by {API_KEY_ENV})"}, status_code=401)
        if length is None and request.method == "POST":  # a chunked body of unknown size is not read at all
            return SafeJSONResponse({"detail": "send a Content-Length header"}, status_code=411)
        return await call_next(request)

    # Added last, so it runs first: a request for another host name is refused before anything else.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=cfg.hosts())

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "model": assistant.cfg.model_name_or_path, "items": len(assistant.ds.catalog)}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    @app.post(
        "/v1/recommend",
        response_model=RecommendResponse,
        responses={
            400: {"description": "Body is not decodable"},
            401: {"description": "API key required"},
            404: {"description": "Unknown user or liked title"},
            411: {"description": "Content-Length missing"},
            413: {"description": "Body too large"},
            422: {"description": "Invalid request"},
            503: {"description": "Queue full"},
            504: {"description": "Deadline passed"},
        },
    )
    async def recommend(body: RecommendBody) -> dict:
        began = time.perf_counter()
        request = AssistantRequest(body.query, body.user_id, body.liked, body.k)
        try:
            assistant.check(request)
            assistant.resolve_liked(request.liked)
            response = await batcher.submit(request, cfg.timeout_s)
        except NotFoundError as err:
            raise HTTPException(404, str(err)) from None
        except RequestError as err:
            raise HTTPException(422, str(err)) from None
        except QueueFullError as err:
            raise HTTPException(503, str(err), headers={"Retry-After": "1"}) from None
        except TimeoutError:
            raise HTTPException(504, f"no answer within {cfg.timeout_s:g} s; the server is busy") from None
        return {**response.as_dict(), "latency_s": time.perf_counter() - began}

    return app
