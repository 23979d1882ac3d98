"""The local web UI and JSON API: a Starlette app over a read-only view of the store.

Server-rendered pages (Jinja2, autoescaped, no JavaScript) and a JSON API under ``/api/``
described by the OpenAPI document at ``/api/openapi.json``. Every parameter is validated:
a bad one gives 400 and an unknown id 404, each with a message, never a server error. Handlers
are plain functions, which Starlette runs in its thread pool, each with its own read-only
connection, so slow queries do not block other requests and an ingest can write meanwhile.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .openapi import openapi_document
from .present import WebLinks, environment
from .queries import ARTICLE_SORTS, STORY_SORTS, ListFilters, Reader, Section, StoreView

ARTICLE_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_TEXT_PARAM = 300
MAX_PAGE = 100_000
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

#: Defence in depth behind escaping: the pages run no script at all.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'none'; object-src 'none'; "
                               "style-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class BadRequest(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFound(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


# -- parameter validation ------------------------------------------------------------------
def _text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if len(value) > MAX_TEXT_PARAM:
        raise BadRequest(f"Parameter {name!r} is longer than {MAX_TEXT_PARAM} characters.")
    return value.strip()


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int, *, strict: bool = False) -> int:
    raw = params.get(name)
    if raw is None or (raw == "" and not strict):
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(f"Parameter {name!r} must be a whole number from {low} to {high}, got {raw[:40]!r}.")
    return int(raw)


def _date(params: Mapping[str, str], name: str, *, strict: bool = False) -> date | None:
    raw = params.get(name)
    if raw is None or (raw == "" and not strict):
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"Parameter {name!r} must be a date as YYYY-MM-DD, got {raw[:40]!r}.") from None


def parse_filters(params: Mapping[str, str], sorts: Sequence[str], *, strict: bool = False) -> ListFilters:
    """Validated list filters. ``strict`` (the API) rejects empty values that HTML forms send
    for blank fields (the pages accept them as 'no filter')."""
    sort = params.get("sort") or sorts[0]
    if strict and params.get("sort") == "":
        raise BadRequest("Parameter 'sort' is empty.")
    if sort not in sorts:
        raise BadRequest(f"Parameter 'sort' must be one of {', '.join(sorts)}, got {sort[:40]!r}.")
    filters = ListFilters(
        q=_text(params, "q"), outlet=_text(params, "outlet"),
        date_from=_date(params, "from", strict=strict), date_to=_date(params, "to", strict=strict), sort=sort,
        page=_int(params, "page", 1, 1, MAX_PAGE, strict=strict),
        per_page=_int(params, "per_page", 50, 1, 200, strict=strict),
    )
    return filters


def _filter_params(f: ListFilters) -> dict[str, Any]:
    """The filters as query parameters, for the pager links."""
    out: dict[str, Any] = {"q": f.q, "outlet": f.outlet, "sort": f.sort, "per_page": f.per_page}
    if f.date_from:
        out["from"] = f.date_from.isoformat()
    if f.date_to:
        out["to"] = f.date_to.isoformat()
    return {k: v for k, v in out.items() if v not in ("", None)}


def _article_id(value: str) -> str:
    if not ARTICLE_ID.match(value):
        raise NotFound(f"No article {value[:40]!r}: article ids are 16 hexadecimal digits.")
    return value


def _story_id(value: str) -> str:
    if not value or len(value) > MAX_TEXT_PARAM:
        raise NotFound("No such story.")
    return value


# -- JSON ------------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """Rows as JSON-safe values (NaN and blobs do occur in SQLite and must not break the API)."""
    if isinstance(value, Section):
        return jsonable(value.as_json())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable(data), status_code=status)


# -- the app ---------------------------------------------------------------------------------
def create_app(db_path: str | Path, *, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The web app for the store at ``db_path`` (opened read-only).

    ``allowed_hosts`` restricts the Host header (against DNS rebinding when serving on
    loopback); None accepts any host (tests).
    """
    view = StoreView(db_path)
    env = environment()
    links = WebLinks()

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(links=links, **context)
        return HTMLResponse(html, status_code=status)

    def with_reader(fn: Callable[[Reader, Request], Response]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            with view.session() as reader:
                return fn(reader, request)
        endpoint.__name__ = fn.__name__
        endpoint.__doc__ = fn.__doc__
        return endpoint

    # -- pages ------------------------------------------------------------------------------
    def stories_page(r: Reader, request: Request) -> Response:
        f = parse_filters(request.query_params, STORY_SORTS)
        stories, total = r.stories(f)
        return page("stories.html", stories=stories, total=total, filters=f, params=_filter_params(f),
                    sorts=STORY_SORTS, outlet_names=r.outlet_names(), overview=r.overview())

    def articles_page(r: Reader, request: Request) -> Response:
        f = parse_filters(request.query_params, ARTICLE_SORTS)
        found, total = r.articles(f)
        return page("articles.html", articles=found, total=total, filters=f, params=_filter_params(f),
                    sorts=ARTICLE_SORTS, outlet_names=r.outlet_names())

    def outlets_page(r: Reader, request: Request) -> Response:
        return page("outlets.html", outlets=r.outlets())

    def story_page(r: Reader, request: Request) -> Response:
        d = _story(r, request.path_params["story_id"])
        d["graph_all"] = request.query_params.get("graph") == "all"
        return page("story.html", d=d)

    def article_page(r: Reader, request: Request) -> Response:
        return page("article.html", d=_article(r, request.path_params["article_id"]))

    def pair_page(r: Reader, request: Request) -> Response:
        return page("pair.html", d=_pair(r, request.path_params["a_id"], request.path_params["b_id"]))

    def outlet_page(r: Reader, request: Request) -> Response:
        return page("outlet.html", d=_outlet(r, request.path_params["name"]))

    # -- shared lookups ---------------------------------------------------------------------
    def _story(r: Reader, story_id: str) -> dict[str, Any]:
        if not r.has("stories", "story_articles"):
            raise NotFound("Stories are not analysed yet: run `newstrace analyze`.")
        found = r.story(_story_id(story_id))
        if found is None:
            raise NotFound(f"No story {story_id[:40]!r}.")
        return found

    def _article(r: Reader, article_id: str) -> dict[str, Any]:
        found = r.article(_article_id(article_id))
        if found is None:
            raise NotFound(f"No article {article_id!r}.")
        return found

    def _pair(r: Reader, a_id: str, b_id: str) -> dict[str, Any]:
        found = r.pair(_article_id(a_id), _article_id(b_id))
        if found is None:
            raise NotFound("One of the two articles does not exist.")
        return found

    def _outlet(r: Reader, name: str) -> dict[str, Any]:
        found = r.outlet(name) if name and len(name) <= MAX_TEXT_PARAM else None
        if found is None:
            raise NotFound(f"No live article from an outlet named {name[:60]!r}.")
        return found

    # -- API --------------------------------------------------------------------------------
    def api_overview(r: Reader, request: Request) -> Response:
        return _json(r.overview())

    def api_stories(r: Reader, request: Request) -> Response:
        f = parse_filters(request.query_params, STORY_SORTS, strict=True)
        stories, total = r.stories(f)
        return _json({"total": total, "page": f.page, "per_page": f.per_page, "available": stories.available,
                      "note": stories.note, "stories": stories.rows})

    def api_story(r: Reader, request: Request) -> Response:
        return _json(_story(r, request.path_params["story_id"]))

    def api_articles(r: Reader, request: Request) -> Response:
        f = parse_filters(request.query_params, ARTICLE_SORTS, strict=True)
        found, total = r.articles(f)
        return _json({"total": total, "page": f.page, "per_page": f.per_page, "articles": found})

    def api_article(r: Reader, request: Request) -> Response:
        return _json(_article(r, request.path_params["article_id"]))

    def api_pair(r: Reader, request: Request) -> Response:
        d = _pair(r, request.path_params["a_id"], request.path_params["b_id"])
        return _json({"a": d["a"], "b": d["b"], "pair": d["pair"], "relation": d["relation"],
                      "passages": d["passages"]})

    def api_outlets(r: Reader, request: Request) -> Response:
        return _json({"outlets": r.outlets()})

    def api_outlet(r: Reader, request: Request) -> Response:
        return _json(_outlet(r, request.path_params["name"]))

    def api_claims(r: Reader, request: Request) -> Response:
        params = request.query_params
        article = _text(params, "article")
        if "article" in params and not ARTICLE_ID.match(article):
            raise BadRequest("Parameter 'article' must be an article id (16 hexadecimal digits).")
        limit = _int(params, "limit", 100, 1, 1000, strict=True)
        offset = _int(params, "offset", 0, 0, 10_000_000, strict=True)
        sec = r.claims(story_id=_text(params, "story") or None, article_id=article or None,
                       limit=limit, offset=offset)
        return _json({"available": sec.available, "note": sec.note, "limit": limit, "offset": offset,
                      "claims": sec.rows})

    def api_openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    # -- errors -----------------------------------------------------------------------------
    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if exc.status_code in (400, 404) else {405: "Method not allowed."}.get(
            exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})  # e.g. Allow on 405
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers)
        response = page("error.html", status=exc.status_code, message=message)
        response.headers.update(headers)
        return response

    def store_busy(request: Request, exc: Exception) -> Response:
        # Only a lock held past the busy timeout reaches here; tell the client to retry.
        if "locked" in str(exc) or "busy" in str(exc):
            body = {"error": "The store is busy (a long write is running); retry in a moment."}
            return JSONResponse(body, status_code=503, headers={"retry-after": "2"})
        raise exc

    async def security_headers(scope: Any, receive: Any, send: Any, app: Any) -> None:
        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
                message["headers"] = headers
            await send(message)
        await app(scope, receive, send_with_headers)

    class SecurityHeaders:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            await security_headers(scope, receive, send, self.app)

    r = with_reader
    routes = [
        Route("/", r(stories_page), name="stories"),
        Route("/articles", r(articles_page), name="articles"),
        Route("/outlets", r(outlets_page), name="outlets"),
        Route("/story/{story_id:path}", r(story_page), name="story"),
        Route("/article/{article_id}", r(article_page), name="article"),
        Route("/pair/{a_id}/{b_id}", r(pair_page), name="pair"),
        Route("/outlet/{name:path}", r(outlet_page), name="outlet"),
        Route("/api", r(api_overview)),
        Route("/api/openapi.json", api_openapi),
        Route("/api/stories", r(api_stories)),
        Route("/api/stories/{story_id:path}", r(api_story)),
        Route("/api/articles", r(api_articles)),
        Route("/api/articles/{article_id}", r(api_article)),
        Route("/api/pairs/{a_id}/{b_id}", r(api_pair)),
        Route("/api/outlets", r(api_outlets)),
        Route("/api/outlets/{name:path}", r(api_outlet)),
        Route("/api/claims", r(api_claims)),
        Mount("/static", app=StaticFiles(packages=[("newstrace.web", "static")]), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, sqlite3.OperationalError: store_busy})
    app.state.view = view
    return app
