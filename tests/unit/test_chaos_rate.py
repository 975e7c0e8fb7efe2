"""The soak's mail rate per flavour: the cloud flavour is capped to what one small machine carries, and says so."""

from __future__ import annotations

from devstack.chaos.harness import MAX_MAIL_RATE, capped_mails, rate_line


def test_the_cloud_flavour_is_capped_and_the_embedded_one_is_not() -> None:
    assert capped_mails("embedded", 1500, 210) == 1500
    assert capped_mails("cloud", 1500, 210) == int(MAX_MAIL_RATE["cloud"] * 210)
    assert capped_mails("cloud", 100, 60) == 100  # under the cap: as asked
    assert capped_mails("cloud", 5, 0.1) == 1


def test_the_report_says_what_rate_it_ran() -> None:
    result = {"mail_rate": {"per_s": 2.5, "asked_mails": 300, "cap_per_s": 2.5}, "mail": {"delivered": 150}}
    assert rate_line(result) == "  mail rate: 2.5 mails/s (this flavour's cap: 2.5 mails/s; 300 mails asked for)"
    result["mail_rate"]["cap_per_s"] = None
    assert rate_line(result) == "  mail rate: 2.5 mails/s"
