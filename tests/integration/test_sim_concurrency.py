"""Many clients at once: state stays consistent (every change one history record, ids strictly increasing)."""

from __future__ import annotations

import threading

from tests.fixtures.sim import SUPPORT, make_mail


def test_concurrent_clients_keep_state_consistent(sim, gmail_client):
    clients = [gmail_client(SUPPORT) for _ in range(8)]
    start = clients[0].users().getProfile(userId="me").execute()["historyId"]
    mids = [sim.deliver(SUPPORT, make_mail()) for _ in range(8)]
    failures: list[BaseException] = []

    def work(i: int) -> None:
        service, mid = clients[i], mids[i]
        try:
            for n in range(10):
                label = "STARRED" if n % 2 == 0 else "IMPORTANT"
                service.users().messages().modify(userId="me", id=mid, body={"addLabelIds": [label]}).execute()
                service.users().messages().modify(userId="me", id=mid, body={"removeLabelIds": [label]}).execute()
                service.users().messages().get(userId="me", id=mid, format="minimal").execute()
                service.users().messages().list(userId="me", maxResults=5).execute()
                sim.deliver(SUPPORT, make_mail())
        except BaseException as exc:  # report, don't hang the test
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    records, token = [], None
    while True:
        answer = (
            clients[0]
            .users()
            .history()
            .list(userId="me", startHistoryId=start, maxResults=500, pageToken=token)
            .execute()
        )
        records += answer.get("history", [])
        token = answer.get("nextPageToken")
        if not token:
            break
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(set(ids))
    assert len(records) == 8 + 8 * 10 * 3  # deliveries + (add, remove, deliver) per round
    assert sim.profile(SUPPORT)["messagesTotal"] == 8 + 80
    assert sim.counters(SUPPORT)["errors"] == 0
