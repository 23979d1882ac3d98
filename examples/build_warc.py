"""Build examples/corpus/crawl-2024-03-17.warc.gz from the HTML pages in examples/warc_pages/.

The WARC holds what a crawler fetching four pages of the demo corpus on 17 March 2024 would
have written: a warcinfo record, then a request and a response record per page. It is
deterministic, so rebuilding it after an unchanged checkout gives the same bytes: record ids
are UUID5s of the target URI, dates are fixed, and warcio's per-record gzip members carry no
timestamp. Run it after editing a page in warc_pages/ and commit both:

    python examples/build_warc.py            # rewrite the WARC
    python examples/build_warc.py --check    # exit 1 if the committed WARC is stale

Note that WARC-Date (the crawl time) is NOT the publication time: the publication time of
each page is its <meta property="article:published_time">.
"""

from __future__ import annotations

import argparse
import io
import sys
import uuid
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent
PAGES = HERE / "warc_pages"
OUTPUT = HERE / "corpus" / "crawl-2024-03-17.warc.gz"

CRAWLER = "newstrace-demo-crawler/1.0 (fictional)"
#: (page file, URI as crawled, crawl time (WARC-Date), server's Last-Modified)
CAPTURES: tuple[tuple[str, str, str, str], ...] = (
    ("meridian-arvenia-waste.html",
     "https://www.meridiantoday.example/news/arvenia-waste-sildovia-4000-containers/"
     "?utm_source=twitter&utm_medium=social&utm_campaign=mt_world",
     "2024-03-17T09:00:05Z", "Mon, 11 Mar 2024 10:40:00 GMT"),
    ("apb-velling-mayor.html",
     "https://apb.example/news/2024-03-11/velling-mayor-rail-link",
     "2024-03-17T09:00:41Z", "Mon, 11 Mar 2024 06:50:00 GMT"),
    ("apb-port-maren-denial.html",
     "https://apb.example/news/2024-03-12/port-maren-director-denies-waste-report",
     "2024-03-17T09:01:13Z", "Tue, 12 Mar 2024 08:20:00 GMT"),
    ("coastwatch-port-maren.html",
     "https://coastwatch.example/notes/port-maren-waste-story/",
     "2024-03-17T09:02:58Z", "Sat, 16 Mar 2024 18:30:00 GMT"),
)


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(parts))}>"


def _http_date(warc_date: str) -> str:
    from datetime import datetime

    moment = datetime.strptime(warc_date, "%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def build() -> bytes:
    """Return the gzipped WARC bytes for every page in CAPTURES."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.0")
    info = (
        b"software: newstrace examples/build_warc.py\r\n"
        b"format: WARC File Format 1.0\r\n"
        b"description: fictional crawl for the newstrace demo corpus\r\n"
    )
    writer.write_record(writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(info), length=len(info),
        warc_content_type="application/warc-fields",
        warc_headers_dict={
            "WARC-Record-ID": _record_id("warcinfo", OUTPUT.name),
            "WARC-Date": "2024-03-17T09:00:00Z",
            "WARC-Filename": OUTPUT.name,
        },
    ))
    for page, uri, crawled, last_modified in CAPTURES:
        body = (PAGES / page).read_bytes()
        host = uri.split("/")[2]
        path = uri.split(host, 1)[1]
        request = StatusAndHeaders(f"GET {path} HTTP/1.1", [
            ("Host", host), ("User-Agent", CRAWLER), ("Accept", "text/html"),
        ], is_http_request=True)
        request_id = _record_id("request", uri, crawled)
        writer.write_record(writer.create_warc_record(
            uri, "request", http_headers=request,
            warc_headers_dict={"WARC-Record-ID": request_id, "WARC-Date": crawled},
        ))
        response = StatusAndHeaders("200 OK", [
            ("Date", _http_date(crawled)),
            ("Server", "nginx"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Last-Modified", last_modified),
            ("Cache-Control", "max-age=300"),
        ], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=response,
            warc_headers_dict={
                "WARC-Record-ID": _record_id("response", uri, crawled),
                "WARC-Date": crawled,
                "WARC-Concurrent-To": request_id,
            },
        ))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the committed WARC is up to date")
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_bytes() != data:
            print(f"{OUTPUT} is stale: run python examples/build_warc.py", file=sys.stderr)
            return 1
        print(f"{OUTPUT.name} is up to date")
        return 0
    OUTPUT.write_bytes(data)
    print(f"wrote {OUTPUT} ({len(data)} bytes, {len(CAPTURES)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
