"""The relay's HTTP side against a real server the test starts (tests/feed_server.py):
conditional requests, what a client tells a publisher, and every way a publisher fails --
each failure within its limit, with its reason."""

from __future__ import annotations

import socket
import time

import pytest

from sync.config.sources import SourcesConfig
from sync.relay.feeds import FeedError, read_feed
from sync.relay.fetch import FeedFetcher, FetchFailed, user_agent

CONFIG = SourcesConfig(timeout_seconds=2, max_bytes=1_000_000,
                       contact="innovation@corp.example")


@pytest.fixture
def fetcher() -> FeedFetcher:
    return FeedFetcher(CONFIG)


def failure(fetcher: FeedFetcher, url: str) -> tuple[str, dict[str, str], float]:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        fetcher.fetch(url)
    return failed.value.failure.code, dict(failed.value.failure.params), \
        time.monotonic() - started


def test_a_feed_then_a_304_for_its_etag_and_for_its_date(feeds, fetcher) -> None:
    url = feeds.url("/feeds/journal-toc.rdf")
    first = fetcher.fetch(url)
    assert first.status == "new" and first.etag and first.last_modified
    assert len(read_feed(first.body, url=first.url, content_type=first.content_type)) == 3
    again = fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert again.status == "unchanged" and again.body == b""
    by_date = fetcher.fetch(url, last_modified=first.last_modified)
    assert by_date.status == "unchanged"
    sent = feeds.hits("/feeds/journal-toc.rdf")
    assert sent[1].headers["If-None-Match"] == first.etag
    assert sent[1].headers["If-Modified-Since"] == first.last_modified
    assert fetcher.stats.requests == 3


def test_a_changed_feed_is_sent_whole_again(feeds, fetcher) -> None:
    url = feeds.publish("alerts", "<rss version='2.0'><channel><title>A</title></channel></rss>")
    first = fetcher.fetch(url)
    feeds.publish("alerts", "<rss version='2.0'><channel><title>B</title></channel></rss>")
    second = fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.status == "new" and second.etag != first.etag


def test_the_client_says_who_it_is_and_what_it_wants(feeds, fetcher) -> None:
    fetcher.fetch(feeds.url("/feeds/patent-alert.rss"))
    (request,) = feeds.requests
    assert request.headers["User-Agent"] == user_agent("innovation@corp.example")
    assert request.headers["User-Agent"].startswith("cop-connector/")
    assert "(+innovation@corp.example)" in request.headers["User-Agent"]
    assert "application/rss+xml" in request.headers["Accept"]
    assert "gzip" in request.headers["Accept-Encoding"]


def test_a_moved_feed_is_followed_and_read_where_it_is(feeds, fetcher) -> None:
    fetched = fetcher.fetch(feeds.url("/moved/regulator-news.atom"))
    assert fetched.url == feeds.url("/feeds/regulator-news.atom")


@pytest.mark.parametrize(("path", "code", "params"), [
    ("/status/404", "source_http_status", {"status": "404", "reason": "Not Found"}),
    ("/status/410", "source_http_status", {"status": "410", "reason": "Gone"}),
    ("/status/500", "source_http_status", {"status": "500"}),
    ("/status/503", "source_http_status", {"status": "503"}),
    ("/loop", "source_redirects", {}),
    ("/huge", "source_too_big", {"limit": "1 MB"}),  # its Content-Length says so at once
    ("/endless", "source_too_big", {"limit": "1 MB"}),  # cut off as it streams
    ("/bomb", "source_too_big", {"limit": "1 MB"}),  # measured inflated
])
def test_a_failing_publisher_is_reported_with_its_reason(feeds, fetcher, path: str,
                                                         code: str,
                                                         params: dict[str, str]) -> None:
    found, got, seconds = failure(fetcher, feeds.url(path))
    assert found == code
    assert params.items() <= got.items()
    assert got["url"] == feeds.url(path)
    assert seconds < 2.5


@pytest.mark.parametrize("path", ["/drip", "/stall"])
def test_a_slow_server_fails_at_the_deadline(feeds, fetcher, path: str) -> None:
    code, params, seconds = failure(fetcher, feeds.url(path))
    assert code == "source_too_slow" and params["seconds"] == "2"
    assert 1.9 < seconds < 3.5  # the whole exchange, not each byte's wait


def test_a_deadline_shorter_than_the_timeout_is_kept(feeds, fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        fetcher.fetch(feeds.url("/drip"), seconds=1)
    assert failed.value.failure.code == "source_too_slow"
    assert time.monotonic() - started < 2


def test_an_unreachable_server(fetcher) -> None:
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, params, _ = failure(fetcher, f"http://127.0.0.1:{port}/feed")
    assert code == "source_unreachable" and params["reason"] == "connection refused"


def test_a_private_token_in_the_query_stays_out_of_the_message(feeds, fetcher) -> None:
    code, params, _ = failure(fetcher, feeds.url("/status/404?token=s3cr3t"))
    assert "s3cr3t" not in params["url"] and code == "source_http_status"


def test_a_web_page_comes_back_but_is_no_feed(feeds, fetcher) -> None:
    fetched = fetcher.fetch(feeds.url("/html"))
    with pytest.raises(FeedError) as refused:
        read_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
    assert refused.value.failure.params["content_type"] == "text/html"
