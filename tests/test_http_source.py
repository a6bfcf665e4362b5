"""The HTTP pull source against a real partner API on 127.0.0.1 (tests/http_partner.py)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from http_partner import PartnerApi, page_body

from interchange.contract.problems import Problem, ProblemError
from interchange.i18n.problem import TEXT as PROBLEM_TEXT
from interchange.ingest import http_source
from interchange.ingest.http_source import HttpEndpoint, Page, max_updated_at, pull_pages, token_from_env

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
SECRET = "SECRET-BODY"


def _stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(count: int, *, step_minutes: int = 1) -> list[dict]:
    return [{"record_id": f"p{i:03d}", "org": "ORG1", "birth_year": 1950 + i, "updated_at": _stamp(i * step_minutes)}
            for i in range(count)]


def _endpoint(api: PartnerApi, **kw: object) -> HttpEndpoint:
    settings: dict = {"page_size": 10, "timeout_s": 2.0, "max_attempts": 3, "backoff_s": 0.01} | kw
    return HttpEndpoint(base_url=api.base_url, **settings)


def _pull(api: PartnerApi, *, updated_since: str | None = None, kind: str = "person", **kw: object) -> list[Page]:
    return list(pull_pages(_endpoint(api, **kw), kind, token=api.token, updated_since=updated_since))


def _problem_of(excinfo: pytest.ExceptionInfo[ProblemError]) -> Problem:
    [problem] = excinfo.value.problems
    return problem


def _assert_nothing_secret(exc: ProblemError, *secrets: str) -> None:
    texts = [str(exc)] + [p.message_lt for p in exc.problems] + [json.dumps(p.params) for p in exc.problems]
    for secret in (SECRET, "page_token=", "page_size=", *secrets):
        assert all(secret not in text for text in texts), secret
    assert exc.__cause__ is None and exc.__context__ is None  # no chained exception holding a URL


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


@pytest.fixture
def api() -> Iterator[PartnerApi]:
    with PartnerApi() as server:
        yield server


# ---- pagination and the cursor ----

def test_pages_cover_every_record_once_in_order(api: PartnerApi) -> None:
    records = _records(23)
    api.set_records("person", records[::-1])  # the server orders them, not the insertion order

    pages = _pull(api)

    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.records) for p in pages] == [10, 10, 3]
    assert [r["record_id"] for p in pages for r in p.records] == [r["record_id"] for r in records]
    assert [json.loads(p.raw)["records"] for p in pages] == [p.records for p in pages]
    queries = [seen["query"] for seen in api.requests_seen]
    assert queries == [{"page_size": "10"}, {"page_size": "10", "page_token": "10"},
                       {"page_size": "10", "page_token": "20"}]
    assert all(seen["auth_ok"] and seen["path"] == "/api/v1/person" for seen in api.requests_seen)


def test_an_empty_kind_gives_one_empty_page(api: PartnerApi) -> None:
    pages = _pull(api, kind="household")
    assert [(p.number, p.records) for p in pages] == [(1, [])]
    assert max_updated_at(r for p in pages for r in p.records) is None


def test_updated_since_is_sent_and_inclusive(api: PartnerApi) -> None:
    api.set_records("contact", _records(23))

    pages = _pull(api, kind="contact", updated_since=_stamp(15))

    ids = [r["record_id"] for p in pages for r in p.records]
    assert ids == [f"p{i:03d}" for i in range(15, 23)]  # p015 is exactly at the cursor: sent again
    assert api.requests_seen[0]["query"] == {"page_size": "10", "updated_since": _stamp(15)}


def test_pulling_again_from_the_cursor_loses_nothing_at_the_boundary(api: PartnerApi) -> None:
    # Two records share the boundary instant; the second pull must see both again.
    records = [*_records(5), {"record_id": "p999", "org": "ORG1", "updated_at": _stamp(4)}]
    api.set_records("case", records)
    first = [r for p in _pull(api, kind="case", page_size=4) for r in p.records]
    cursor = max_updated_at(first)
    assert cursor == _stamp(4)

    api.set_records("case", [*records, {"record_id": "p005", "org": "ORG1", "updated_at": _stamp(9)}])
    second = [r["record_id"] for p in _pull(api, kind="case", page_size=4, updated_since=cursor) for r in p.records]

    assert second == ["p004", "p999", "p005"]


def test_max_updated_at_compares_instants_and_tolerates_z() -> None:
    records = [{"updated_at": "2024-05-01T10:00:00Z"}, {"updated_at": "2024-05-01T12:30:00+03:00"},
               {"updated_at": "2024-05-01T09:59:59.999999+00:00"}]
    # 12:30+03:00 is 09:30Z, so the Z value is the latest; it comes back exactly as written.
    assert max_updated_at(records) == "2024-05-01T10:00:00Z"
    assert max_updated_at([]) is None
    assert max_updated_at([{"updated_at": "2024-05-01T11:00:00"}, {"updated_at": "2024-05-01T10:00:00Z"}]) \
        == "2024-05-01T11:00:00"  # no zone counts as UTC


@pytest.mark.parametrize("record", [{}, {"updated_at": None}, {"updated_at": "yesterday"}])
def test_max_updated_at_refuses_a_record_without_a_valid_time(record: dict) -> None:
    with pytest.raises(ProblemError) as excinfo:
        max_updated_at([{"updated_at": "2024-05-01T10:00:00Z"}, record])
    assert _problem_of(excinfo).code == "http.bad_response"
    assert "yesterday" not in str(excinfo.value)


# ---- retries ----

def test_a_503_is_retried_and_then_served(api: PartnerApi) -> None:
    api.set_records("person", _records(3))
    api.fail_next = [503]

    pages = _pull(api)

    assert [len(p.records) for p in pages] == [3]
    assert [seen["status"] for seen in api.requests_seen] == [503, 200]
    assert api.requests_seen[0]["query"] == api.requests_seen[1]["query"]


def test_a_5xx_every_time_is_unavailable_after_max_attempts(api: PartnerApi,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    api.set_records("person", _records(23))
    pages = pull_pages(_endpoint(api, max_attempts=4), "person", token=api.token, updated_since=None)
    first = next(pages)
    api.fail_next = [502, 500, 504, 503, 500]  # page 2 fails every time
    with caplog.at_level(logging.WARNING, logger="interchange.ingest.http_source"), \
            pytest.raises(ProblemError) as excinfo:
        next(pages)

    problem = _problem_of(excinfo)
    assert first.number == 1
    assert problem.code == "http.unavailable"
    assert problem.params["attempts"] == 4 and problem.params["page"] == 2
    assert problem.params["path"] == "/api/v1/person"
    assert "after 4 attempts" in problem.message_en and "4" in problem.message_lt
    assert [seen["status"] for seen in api.requests_seen] == [200, 502, 500, 504, 503]
    _assert_nothing_secret(excinfo.value, api.token)
    logged = caplog.text
    assert "page 2" in logged and "HTTP 503" in logged
    assert api.token not in logged and "page_token" not in logged and "?" not in logged


def test_a_dropped_connection_is_retried(api: PartnerApi) -> None:
    api.set_records("household", _records(12))
    api.drop_next = 1

    pages = _pull(api, kind="household")

    assert [len(p.records) for p in pages] == [10, 2]
    assert [seen["status"] for seen in api.requests_seen] == [None, 200, 200]


def test_dropped_connections_every_time_are_unavailable(api: PartnerApi) -> None:
    api.drop_next = 99
    with pytest.raises(ProblemError) as excinfo:
        _pull(api, max_attempts=2)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["attempts"], problem.params["last_failure"]) == \
        ("http.unavailable", 2, "ConnectionError")
    assert len(api.requests_seen) == 2
    _assert_nothing_secret(excinfo.value, "127.0.0.1")


def test_a_server_slower_than_the_timeout_is_retried_then_unavailable(api: PartnerApi) -> None:
    api.set_records("person", _records(3))
    api.delay_s = 2.0  # the handler wakes early when the server stops

    started = time.monotonic()
    with pytest.raises(ProblemError) as excinfo:
        _pull(api, timeout_s=0.2, max_attempts=2)

    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["attempts"], problem.params["last_failure"]) == \
        ("http.unavailable", 2, "ReadTimeout")
    assert len(api.requests_seen) == 2
    assert time.monotonic() - started < 1.5
    _assert_nothing_secret(excinfo.value)


def test_a_slow_answer_within_the_timeout_is_fine(api: PartnerApi) -> None:
    api.set_records("person", _records(3))
    api.delay_s = 0.05
    assert [len(p.records) for p in _pull(api, timeout_s=1.0)] == [3]


def test_retry_after_is_respected_but_capped() -> None:
    assert http_source._wait_s(0.01, 1, None) == 0.01
    assert http_source._wait_s(0.01, 3, None) == 0.04
    assert http_source._wait_s(0.01, 1, 2.0) == 2.0
    assert http_source._wait_s(0.01, 1, 10_000.0) == http_source._MAX_WAIT_S
    assert http_source._wait_s(100.0, 10, None) == http_source._MAX_WAIT_S


def test_a_retry_after_header_is_read(api: PartnerApi) -> None:
    api.set_records("person", _records(1))
    api.fail_next, api.retry_after = [503], "0"
    assert [len(p.records) for p in _pull(api)] == [1]

    response = requests.Response()
    response.headers["Retry-After"] = "7"
    assert http_source._retry_after_s(response) == 7.0
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: no extra wait
    assert http_source._retry_after_s(response) == 0.0
    response.headers["Retry-After"] = "soon"
    assert http_source._retry_after_s(response) is None


# ---- errors that stop at once ----

def test_a_wrong_token_is_unauthorized_without_retrying(api: PartnerApi) -> None:
    api.set_records("person", _records(3))
    wrong = "wrong-token-abc123"
    with pytest.raises(ProblemError) as excinfo:
        list(pull_pages(_endpoint(api), "person", token=wrong, updated_since=None))

    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["status"], problem.params["page"]) == ("http.unauthorized", 401, 1)
    assert [(seen["auth_ok"], seen["status"]) for seen in api.requests_seen] == [(False, 401)]
    _assert_nothing_secret(excinfo.value, wrong, api.token)


def test_a_403_is_unauthorized_without_retrying(api: PartnerApi) -> None:
    api.fail_next = [403, 403]
    with pytest.raises(ProblemError) as excinfo:
        _pull(api)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["status"]) == ("http.unauthorized", 403)
    assert len(api.requests_seen) == 1
    _assert_nothing_secret(excinfo.value, api.token)


def test_a_wrong_path_is_not_found(api: PartnerApi) -> None:
    endpoint = HttpEndpoint(base_url=api.base_url.replace("/v1", "/v2"), backoff_s=0.01)
    with pytest.raises(ProblemError) as excinfo:
        list(pull_pages(endpoint, "person", token=api.token, updated_since=None))
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["path"]) == ("http.not_found", "/api/v2/person")
    assert len(api.requests_seen) == 1
    _assert_nothing_secret(excinfo.value)


@pytest.mark.parametrize(("fail", "page_size", "status"), [([429], 10, 429), ([], 5000, 400)])
def test_other_4xx_are_client_errors_without_retrying(api: PartnerApi, fail: list[int], page_size: int,
                                                       status: int) -> None:
    api.fail_next = fail
    with pytest.raises(ProblemError) as excinfo:
        _pull(api, page_size=page_size)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["status"]) == ("http.client_error", status)
    assert f"HTTP {status}" in problem.message_en and f"HTTP {status}" in problem.message_lt
    assert len(api.requests_seen) == 1
    _assert_nothing_secret(excinfo.value)


def test_a_redirect_is_not_followed(api: PartnerApi) -> None:
    api.fail_next = [302]
    with pytest.raises(ProblemError) as excinfo:
        _pull(api)
    assert _problem_of(excinfo).code == "http.bad_response"
    assert len(api.requests_seen) == 1


# ---- the shape of a page ----

def test_invalid_json_is_a_bad_response_that_does_not_quote_the_body(api: PartnerApi) -> None:
    api.respond_next = [f"<html>{SECRET} p001 Jonaitis</html>".encode()]
    with pytest.raises(ProblemError) as excinfo:
        _pull(api)
    problem = _problem_of(excinfo)
    assert problem.code == "http.bad_response"
    assert "not valid JSON" in problem.params["reason"]
    assert len(api.requests_seen) == 1  # a 200 with a bad body is not retried
    _assert_nothing_secret(excinfo.value, "Jonaitis", "html")


GOOD = {"record_id": "p1", "org": "ORG1", "updated_at": "2024-05-01T10:00:00Z"}


@pytest.mark.parametrize(("body", "reason"), [
    ([GOOD], "the body is not a JSON object"),
    ({"next_page_token": None}, "records is missing"),
    ({"records": {"p1": GOOD}, "next_page_token": None}, "records is not a list"),
    ({"records": [GOOD, SECRET], "next_page_token": None}, "record 2 on the page is not an object"),
    ({"records": [{"record_id": SECRET}], "next_page_token": None}, "record 1 on the page has no valid updated_at"),
    ({"records": [GOOD | {"updated_at": SECRET}], "next_page_token": None},
     "record 1 on the page has no valid updated_at"),
    ({"records": [GOOD]}, "next_page_token is missing"),
    ({"records": [GOOD], "next_page_token": 2}, "next_page_token is neither a string nor null"),
    ({"records": [GOOD], "next_page_token": ""}, "next_page_token is an empty string"),
])
def test_a_wrong_shape_is_a_bad_response(api: PartnerApi, body: object, reason: str) -> None:
    api.respond_next = [json.dumps(body).encode()]
    with pytest.raises(ProblemError) as excinfo:
        _pull(api)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["reason"]) == ("http.bad_response", reason)
    assert reason in problem.message_en and reason in problem.message_lt
    _assert_nothing_secret(excinfo.value)


def test_nan_is_not_json(api: PartnerApi) -> None:
    api.respond_next = [b'{"records": [{"updated_at": "2024-05-01T10:00:00Z", "x": NaN}], "next_page_token": null}']
    with pytest.raises(ProblemError) as excinfo:
        _pull(api)
    assert _problem_of(excinfo).params["reason"] == "the body is not valid JSON"


def test_a_repeated_page_token_stops_the_pull(api: PartnerApi) -> None:
    api.respond_next = [page_body([GOOD], "abc"), page_body([GOOD], "def"), page_body([GOOD], "abc")]
    pages = pull_pages(_endpoint(api), "person", token=api.token, updated_since=None)
    assert [next(pages).number, next(pages).number, next(pages).number] == [1, 2, 3]
    with pytest.raises(ProblemError) as excinfo:
        next(pages)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["page"]) == ("http.bad_response", 3)
    assert "repeats an earlier next_page_token" in problem.params["reason"]
    assert len(api.requests_seen) == 3
    _assert_nothing_secret(excinfo.value, "abc")


def test_a_server_that_never_stops_paging_is_cut_off(api: PartnerApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_source, "_MAX_PAGES", 3)  # instead of serving 100,001 pages
    api.set_records("person", _records(10))
    with pytest.raises(ProblemError) as excinfo:
        _pull(api, page_size=1)
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params["reason"]) == ("http.bad_response", "more than 3 pages")
    assert len(api.requests_seen) == 3


# ---- laziness and abandoning ----

def test_nothing_is_requested_before_the_first_page_is_asked_for(api: PartnerApi) -> None:
    pages = pull_pages(_endpoint(api), "person", token=api.token, updated_since=None)
    assert api.requests_seen == []
    pages.close()
    assert api.requests_seen == []


def test_a_consumer_that_crashes_between_pages_commits_nothing_and_can_pull_again(api: PartnerApi) -> None:
    api.set_records("person", _records(23))
    committed: list[dict] = []

    def consume() -> None:
        batch: list[dict] = []
        for page in pull_pages(_endpoint(api), "person", token=api.token, updated_since=None):
            batch.extend(page.records)
            raise RuntimeError("the hub crashed after page 1")
        committed.extend(batch)  # the hub commits a whole pull at once

    with pytest.raises(RuntimeError):
        consume()
    assert committed == [] and len(api.requests_seen) == 1  # page 2 was never asked for

    pages = pull_pages(_endpoint(api), "person", token=api.token, updated_since=None)
    first = next(pages)
    pages.close()  # abandoned explicitly: ends cleanly, asks for nothing more
    assert first.number == 1 and len(api.requests_seen) == 2
    with pytest.raises(StopIteration):
        next(pages)

    again = _pull(api)
    assert sorted(r["record_id"] for p in again for r in p.records) == [f"p{i:03d}" for i in range(23)]


def test_a_session_passed_in_is_used_and_left_open(api: PartnerApi) -> None:
    api.set_records("group_session", _records(3))
    with requests.Session() as session:
        session.headers["X-Trace"] = "t1"
        pages = list(pull_pages(_endpoint(api), "group_session", token=api.token, updated_since=None,
                                session=session))
        assert [len(p.records) for p in pages] == [3]
        assert "Authorization" not in session.headers  # the token stays out of the caller's session
        assert session.get(api.base_url + "/group_session?page_size=1", timeout=2).status_code == 401


# ---- tokens and arguments ----

def test_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_X_TOKEN", " abc-123\n")
    assert token_from_env("PARTNER_X_TOKEN") == "abc-123"


@pytest.mark.parametrize("value", [None, "", "  \n"])
def test_token_from_env_missing_is_a_problem(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("PARTNER_X_TOKEN", raising=False)
    else:
        monkeypatch.setenv("PARTNER_X_TOKEN", value)
    with pytest.raises(ProblemError) as excinfo:
        token_from_env("PARTNER_X_TOKEN")
    problem = _problem_of(excinfo)
    assert (problem.code, problem.params) == ("http.token_missing", {"variable": "PARTNER_X_TOKEN"})
    assert "PARTNER_X_TOKEN" in problem.message_en and "PARTNER_X_TOKEN" in problem.message_lt


def test_bad_arguments_fail_at_the_call_without_echoing_them() -> None:
    endpoint = HttpEndpoint(base_url="http://127.0.0.1:9/api")
    with pytest.raises(ValueError):
        pull_pages(endpoint, "people", token="t", updated_since=None)
    with pytest.raises(ValueError, match="updated_since") as excinfo:
        pull_pages(endpoint, "person", token="t", updated_since="last week")
    assert "last week" not in str(excinfo.value)
    for token in ("", "two words", "line\nbreak", "žetonas"):
        with pytest.raises(ValueError) as excinfo:
            pull_pages(endpoint, "person", token=token, updated_since=None)
        assert not token or token not in str(excinfo.value)


@pytest.mark.parametrize(("base_url", "fields"), [
    ("ftp://host/api", {}), ("https://user:secret@host/api", {}), ("https://host/api?key=secret", {}),
    ("https://host/api", {"page_size": 0}), ("https://host/api", {"max_attempts": 0}),
    ("https://host/api", {"timeout_s": 0}), ("https://host/api", {"backoff_s": -1}),
])
def test_endpoint_settings_are_checked(base_url: str, fields: dict) -> None:
    with pytest.raises(ValueError) as excinfo:
        HttpEndpoint(base_url=base_url, **fields)
    assert "secret" not in str(excinfo.value)


def test_http_problem_codes_have_both_languages() -> None:
    for code in ("http.unauthorized", "http.not_found", "http.unavailable", "http.bad_response",
                 "http.token_missing", "http.client_error"):
        lt, en = PROBLEM_TEXT[code]
        assert lt and en


def test_the_partner_server_stops_its_threads() -> None:
    with PartnerApi() as server:
        server.delay_s = 5.0
        with pytest.raises(requests.Timeout):
            requests.get(server.base_url + "/person?page_size=1", timeout=0.1)
    assert not [t for t in threading.enumerate() if t.name == "partner-api"]
