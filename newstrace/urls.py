"""URL canonicalisation and outlets.

Two URLs are taken as the same page when they differ only in what does not name the page:
the scheme (``http`` and ``https`` both become ``https``, since outlets serve the same article
under both), upper-case letters in the scheme or host, a leading ``www.``, a default port, a
``#fragment``, tracking parameters (``utm_*``, ``fbclid``, ``gclid`` ...) and the order of the
remaining query parameters. The path is kept exactly (a trailing slash can name another page).

The outlet of a URL is its registered domain (``news.bbc.co.uk`` -> ``bbc.co.uk``), read from
the public-suffix snapshot bundled with tldextract: nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

__all__ = ["canonicalise", "registered_domain", "outlet_of", "TRACKING_PARAMETERS"]

#: Query parameters that track the reader, not name the page (compared case-insensitively).
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mc_cid",
    "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
    "wickedid", "rb_clickid", "s_cid", "cmpid", "ocid", "smid", "sr_share", "ref_src", "ref_url",
    "at_medium", "at_campaign", "ito", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
    "ns_fee", "spm", "share", "via",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEMES = frozenset({"http", "https"})
_SPACE = re.compile(r"\s")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


@lru_cache(maxsize=65536)
def _canonical_host(netloc: str, scheme: str) -> str | None:
    """Lower-cased host without ``www.``, credentials or the scheme's default port."""
    host_port = netloc.rpartition("@")[2].lower()
    if host_port.startswith("["):  # IPv6 literal
        host, _, rest = host_port.partition("]")
        host += "]"
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = host_port.partition(":")
    host = host.rstrip(".")
    if not host or _SPACE.search(host):
        return None
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    if port_text:
        if not port_text.isdigit():
            return None
        if int(port_text) != _DEFAULT_PORTS.get(scheme):
            host = f"{host}:{int(port_text)}"
    return host


def canonicalise(url: str | None) -> str | None:
    """The canonical form of an http(s) URL, or None when ``url`` is not one.

    >>> canonicalise("HTTP://www.RT.com:80/news/a?utm_source=x&b=2&a=1#top")
    'https://rt.com/news/a?a=1&b=2'
    """
    if not url:
        return None
    url = url.strip()
    if not url or len(url) > 4096:
        return None
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        return None
    host = _canonical_host(parts.netloc, scheme)
    if host is None:
        return None
    query = ""
    if parts.query:
        # Pairs are kept as written (no re-encoding), minus trackers, in sorted order.
        kept = [pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.partition("=")[0])]
        kept.sort()
        query = "&".join(kept)
    return urlunsplit(("https", host, parts.path or "/", query, ""))


@lru_cache(maxsize=1)
def _extractor():  # type: ignore[no-untyped-def]
    import tldextract

    # suffix_list_urls=() and cache_dir=None: only the snapshot inside the package is used,
    # so no network access and no cache file is ever attempted.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str | None:
    """``news.bbc.co.uk`` -> ``bbc.co.uk``; None for hosts without a public suffix (localhost, IPs)."""
    host = host.lower().rpartition("@")[2]
    if host.startswith("["):
        return None
    host = host.partition(":")[0].rstrip(".")
    if not host:
        return None
    parts = _extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


def outlet_of(url: str | None) -> str | None:
    """The registered domain of an http(s) URL; for a host under no public suffix (an intranet
    or a reserved name such as ``.example``) the host without ``www.``; None for IPs and no URL."""
    if not url:
        return None
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        return None
    if not netloc:
        return None
    domain = registered_domain(netloc)
    if domain:
        return domain
    host = netloc.lower().rpartition("@")[2].partition(":")[0].rstrip(".")
    if "." not in host or host.replace(".", "").isdigit() or host.startswith("["):
        return None
    return host.removeprefix("www.")
