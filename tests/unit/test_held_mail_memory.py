from gmail_tickets.services.held_mail import HeldMail


def test_a_held_mail_is_remembered_for_its_seconds_per_mailbox_then_forgotten() -> None:
    now = [100.0]
    held = HeldMail(seconds=15, clock=lambda: now[0])
    held.remember("a@x.test", "m1")
    assert held.recently_held("a@x.test", "m1")
    assert not held.recently_held("b@x.test", "m1") and not held.recently_held("a@x.test", "m2")
    now[0] += 15.1
    assert not held.recently_held("a@x.test", "m1")
    held.remember("a@x.test", "m2")  # remembering prunes what expired: the memory stays as small as what is locked
    assert len(held._until) == 1
