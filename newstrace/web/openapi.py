"""The OpenAPI 3 document of the JSON API, written by hand to match ``app.py``'s routes.

A test checks that every ``/api`` route is described here and every path described here is
routed, and Schemathesis fuzzes the API from this document.
"""

from __future__ import annotations

from typing import Any

from .queries import ARTICLE_SORTS, STORY_SORTS


def _obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": True}
    if required:
        schema["required"] = required
    return schema


_ROW = {"type": "object", "additionalProperties": True}
_ROWS = {"type": "array", "items": _ROW}
_SECTION = {"$ref": "#/components/schemas/Section"}
_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}
_INT = {"type": "integer"}


def _q(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _p(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string", "minLength": 1}}


_ARTICLE_ID = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
_LIST_PARAMS = [
    _q("q", "Words to search in titles.", {"type": "string", "maxLength": 300}),
    _q("outlet", "Only items from this outlet.", {"type": "string", "maxLength": 300}),
    _q("from", "Seen on or after this day (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    _q("to", "Seen on or before this day (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    _q("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 100000}),
    _q("per_page", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 200}),
]


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERR = {"$ref": "#/components/responses/Error"}


def _get(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], *, not_found: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "400": _ERR}
    if not_found:
        responses["404"] = _ERR
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def openapi_document() -> dict[str, Any]:
    """The API description (OpenAPI 3.0.3)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "newstrace API",
            "version": "1",
            "description": "Read-only access to what newstrace's analysis found: stories, articles, reuse "
                           "pairs, outlets and claims. A section whose stage has not run has "
                           "available=false and a note.",
        },
        "paths": {
            "/api": _get("Counts of articles, outlets and stories.", [],
                         _ok("Overview", _obj(["articles", "outlets"], articles=_INT, outlets=_INT,
                                              pending=_INT, stories={"type": "integer", "nullable": True})),
                         not_found=False),
            "/api/stories": _get(
                "Stories, searchable and filterable.",
                [*_LIST_PARAMS, _q("sort", "Order.", {"type": "string", "enum": list(STORY_SORTS)})],
                _ok("A page of stories", _obj(["total", "page", "per_page", "available", "stories"],
                                              total=_INT, page=_INT, per_page=_INT, available={"type": "boolean"},
                                              note=_NSTR, stories=_ROWS)),
                not_found=False),
            "/api/stories/{story_id}": _get(
                "One story: articles, pairs, provenance, claims, mutations, sources, fact-checks.",
                [_p("story_id", "The story id.")],
                _ok("Story", _obj(["story", "articles"], story=_ROW, articles=_ROWS, pairs=_SECTION,
                                  origin=_SECTION, provenance=_SECTION, claim_groups=_SECTION,
                                  mutations=_SECTION, claims=_SECTION, sources=_SECTION,
                                  unresolved_sources={"type": "object", "additionalProperties": _INT,
                                                      "description": "Pronoun sources left out of `sources` "
                                                                     "because the attribution stage did not "
                                                                     "resolve them: times per pronoun."},
                                  citations=_SECTION, factchecks=_SECTION)),
                not_found=True),
            "/api/articles": _get(
                "Live articles, searchable and filterable.",
                [*_LIST_PARAMS, _q("sort", "Order.", {"type": "string", "enum": list(ARTICLE_SORTS)})],
                _ok("A page of articles", _obj(["total", "page", "per_page", "articles"], total=_INT, page=_INT,
                                               per_page=_INT, articles=_ROWS)),
                not_found=False),
            "/api/articles/{article_id}": _get(
                "One article with its text, stories, pairs, claims, attributions and fact-checks.",
                [_p("article_id", "The article id (16 hex digits).", _ARTICLE_ID)],
                _ok("Article", _obj(["article"], article=_ROW, urls=_ROWS, parts=_ROWS, stories=_SECTION,
                                    pairs=_SECTION, claims=_SECTION, attributions=_SECTION,
                                    citations=_SECTION, factchecks=_SECTION)),
                not_found=True),
            "/api/pairs/{a_id}/{b_id}": _get(
                "Two articles, their relation and the reused or aligned passages (character offsets).",
                [_p("a_id", "First article id.", _ARTICLE_ID), _p("b_id", "Second article id.", _ARTICLE_ID)],
                _ok("Pair", _obj(["a", "b", "relation", "passages"], a=_ROW,
                                 b=_ROW, pair={"type": "object", "nullable": True, "additionalProperties": True},
                                 relation=_SECTION, passages=_SECTION)),
                not_found=True),
            "/api/outlets": _get("Outlets with article counts.", [],
                                 _ok("Outlets", _obj(["outlets"], outlets=_ROWS)), not_found=False),
            "/api/outlets/{name}": _get(
                "One outlet: whom it copies, who copies it, whom it cites, attributions it strips.",
                [_p("name", "The outlet name, as stored.")],
                _ok("Outlet", _obj(["name", "summary"], name=_STR, summary=_ROW, recent=_ROWS,
                                   copies_from=_SECTION, copied_by=_SECTION, undirected=_SECTION,
                                   mutations=_SECTION, stripped=_ROWS, cites=_SECTION,
                                   claims_total={"type": "integer", "nullable": True})),
                not_found=True),
            "/api/claims": _get(
                "Claims, of one story or one article, or all.",
                [_q("story", "Only claims of this story.", {"type": "string", "maxLength": 300}),
                 _q("article", "Only claims of this article.", _ARTICLE_ID),
                 _q("limit", "At most this many.", {"type": "integer", "minimum": 1, "maximum": 1000}),
                 _q("offset", "Skip this many.", {"type": "integer", "minimum": 0, "maximum": 10000000})],
                _ok("Claims", _obj(["available", "claims"], available={"type": "boolean"}, note=_NSTR,
                                   limit=_INT, offset=_INT, claims=_ROWS)),
                not_found=False),
        },
        "components": {
            "schemas": {
                "Section": _obj(["available", "rows"], available={"type": "boolean"}, note=_NSTR, rows=_ROWS),
                "Error": _obj(["error"], error=_STR),
            },
            "responses": {
                "Error": _ok("A bad parameter (400) or an unknown id (404).",
                             {"$ref": "#/components/schemas/Error"}),
            },
        },
    }
