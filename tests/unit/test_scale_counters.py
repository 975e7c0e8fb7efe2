"""The bench's store counters: what counts as a billed read, write, delete and commit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import grpc
from google.cloud.firestore_v1.types import document, firestore, write

from devstack.scale_counters import (
    FirestoreCallCounter,
    StoreCounts,
    Tally,
    _CountedStream,
    classify_statement,
    count_commit,
    count_response,
    count_sqlite,
    statement_table,
)


def test_a_commit_counts_each_write_and_its_deletes_apart() -> None:
    tally = Tally()
    request = firestore.CommitRequest(writes=[write.Write(delete="projects/p/databases/(default)/documents/a/1"),
                                              write.Write(update=document.Document(name="x")),
                                              write.Write(update=document.Document(name="y"))])
    count_commit(tally, request)
    assert tally.snapshot() == StoreCounts(writes=3, deletes=1)


def test_batch_get_bills_found_and_missing_documents_but_not_the_bare_answer() -> None:
    assert count_response("BatchGetDocuments", firestore.BatchGetDocumentsResponse(missing="a/1")) == 1
    found = firestore.BatchGetDocumentsResponse(found=document.Document(name="a/2"))
    assert count_response("BatchGetDocuments", found) == 1
    assert count_response("BatchGetDocuments", firestore.BatchGetDocumentsResponse(transaction=b"t")) == 0
    assert count_response("RunQuery", firestore.RunQueryResponse(skipped_results=3)) == 0


def test_a_query_stream_counts_documents_as_they_come_the_first_one_already_billed() -> None:
    tally = Tally()
    answers = iter([firestore.RunQueryResponse(document=document.Document(name=f"a/{n}")) for n in range(3)])
    stream = _CountedStream(answers, "RunQuery", tally)
    next(stream)  # a caller may stop after the first: the minimum read was counted when the query was sent
    assert tally.snapshot().reads == 0
    list(stream)
    assert tally.snapshot().reads == 2


def test_sqlite_statements_are_classified_and_trigger_lines_left_to_their_statement() -> None:
    assert classify_statement("SELECT * FROM t") == {"reads": 1}
    assert classify_statement("  with x as (select 1) select * from x") == {"reads": 1}
    assert classify_statement("INSERT INTO t VALUES (1)") == {"writes": 1}
    assert classify_statement("UPDATE t SET a = 1") == {"writes": 1}
    assert classify_statement("DELETE FROM t") == {"writes": 1, "deletes": 1}
    assert classify_statement("BEGIN IMMEDIATE") == {"transactions": 1}
    assert classify_statement("-- TRIGGER t_ai") == {}
    assert classify_statement("COMMIT") == {} and classify_statement("") == {}


def test_counts_subtract_into_a_delta() -> None:
    assert StoreCounts(5, 4, 1, 2) - StoreCounts(1, 1, 0, 1) == StoreCounts(4, 3, 1, 1)


def test_the_sqlite_store_counted_through_its_connections(tmp_path) -> None:
    from gmail_tickets.adapters.sqlite_store import SqliteStore
    from gmail_tickets.domain.model import Connection

    store = SqliteStore(tmp_path / "s.sqlite")
    tally = Tally()
    count_sqlite(store._db, tally)
    store.atomically(lambda uow: uow.put_connection(Connection(address="a@example.com")))
    after_write = tally.snapshot()
    assert after_write.transactions == 1 and after_write.writes >= 1
    assert store.get_connection("a@example.com") is not None
    assert tally.snapshot().reads > after_write.reads


def test_the_pubsub_bridge_carries_every_topic_setting_and_the_push_topic() -> None:
    from devstack.scale_pubsub import product_topics
    from gmail_tickets.embedded import PUSH_TOPIC
    from gmail_tickets.settings import Settings

    settings = Settings()
    topics = product_topics(settings)
    assert {PUSH_TOPIC, settings.sync_topic, settings.outbound_topic} <= topics
    assert not any(t.startswith("projects/") for t in topics)  # Gmail's own topic is not ours to publish to


class _Failed(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """A finished call that failed with `code` (what a unary continuation hands back)."""

    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def exception(self) -> BaseException:
        return self

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def test_every_call_is_a_round_trip_and_an_aborted_commit_is_counted_apart() -> None:
    tally = Tally()
    counter = FirestoreCallCounter(tally)
    ok = SimpleNamespace(exception=lambda: None)
    commit = SimpleNamespace(method="/google.firestore.v1.Firestore/Commit")
    begin = SimpleNamespace(method="/google.firestore.v1.Firestore/BeginTransaction")
    counter.intercept_unary_unary(lambda d, r: ok, begin, firestore.BeginTransactionRequest())
    counter.intercept_unary_unary(lambda d, r: ok, commit, firestore.CommitRequest())
    counter.intercept_unary_unary(lambda d, r: _Failed(grpc.StatusCode.ABORTED), commit, firestore.CommitRequest())
    counter.intercept_unary_unary(lambda d, r: _Failed(grpc.StatusCode.ALREADY_EXISTS), commit,
                                  firestore.CommitRequest())
    assert tally.snapshot() == StoreCounts(transactions=3, round_trips=4, aborted=1)


def test_writes_are_told_apart_by_where_they_go() -> None:
    tally = Tally()
    root = "projects/p/databases/(default)/documents"
    request = firestore.CommitRequest(writes=[write.Write(delete=f"{root}/leases/sync-a"),
                                              write.Write(update=document.Document(name=f"{root}/tickets/t1")),
                                              write.Write(update=document.Document(name=f"{root}/tickets/t1/c/c"))])
    count_commit(tally, request)
    assert tally.kinds() == {"leases (delete)": 1, "tickets": 2}
    assert statement_table("INSERT INTO leases (key, doc) VALUES (?, ?)") == "leases"
    assert statement_table("UPDATE connections SET doc = ?") == "connections"
    assert statement_table("DELETE FROM leases WHERE key = ?") == "leases"
