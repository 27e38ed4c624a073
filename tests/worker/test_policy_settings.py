"""Worker preferences: schedule windows, sizes, flags over HOME/worker.toml, consent records."""
from __future__ import annotations

from datetime import datetime

import pytest

from node.worker_policy.consent import ConsentBook, ConsentRequired, ConsentSubject, obtain_consent
from node.worker_policy.schedule import Schedule
from node.worker_policy.settings import load_settings, parse_size


def at(hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2025, 1, 1, int(h), int(m))


def test_schedule_windows_including_one_past_midnight():
    s = Schedule.parse("09:00-12:00,22:00-06:00")
    assert [s.allows(at(t)) for t in ("08:59", "09:00", "11:59", "12:00", "21:59", "22:00", "03:00", "06:00")] == \
        [False, True, True, False, False, True, True, False]
    assert Schedule.parse("").allows(at("04:00")) and Schedule.parse("00:00-24:00").allows(at("23:59"))
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        Schedule.parse("9-17")
    with pytest.raises(ValueError, match="out of range"):
        Schedule.parse("09:00-25:00")


def test_sizes():
    assert parse_size("500MB") == 500 * 10**6 and parse_size("2GiB") == 2 * 2**30 and parse_size("1000") == 1000
    with pytest.raises(ValueError, match="500 apples"):
        parse_size("500 apples")


def test_flags_override_the_config_file(tmp_path):
    (tmp_path / "worker.toml").write_text('[worker]\nyes = true\nmax_threads = 3\nschedule = ["22:00-06:00"]\n'
                                          'only_when_idle = true\nmax_disk = "1GB"\n')
    s = load_settings(tmp_path, max_threads=1, device=None)
    assert (s.yes, s.max_threads, s.only_when_idle, s.max_disk_bytes) == (True, 1, True, 10**9)
    assert str(s.schedule) == "22:00-06:00" and "worker.toml" in s.source and "flags" in s.source
    assert load_settings(tmp_path / "empty").yes is False
    (tmp_path / "worker.toml").write_text("[worker]\nmax_thread = 3\n")
    with pytest.raises(ValueError, match="unknown \\[worker\\] key.*max_thread"):
        load_settings(tmp_path)
    with pytest.raises(ValueError, match="device must be one of cpu, cuda"):
        load_settings(tmp_path / "empty", device="tpu")


def test_consent_is_per_job_and_terms(tmp_path):
    book = ConsentBook(tmp_path)
    subject = ConsentSubject(31337, "0xabc", 1, "0x" + "11" * 32, 10**17, 5 * 10**17, 10**18)
    with pytest.raises(ConsentRequired, match="--yes.*worker.toml"):
        obtain_consent(book, subject, "summary", yes=False, yes_source="--yes", ask=None, home=tmp_path)
    with pytest.raises(ConsentRequired, match="declined"):
        obtain_consent(book, subject, "summary", yes=False, yes_source="--yes", ask=lambda text: False, home=tmp_path)
    assert obtain_consent(book, subject, "summary", yes=False, yes_source="--yes", ask=lambda text: True,
                          home=tmp_path) == "prompt"
    assert obtain_consent(book, subject, "summary", yes=False, yes_source="--yes", ask=None, home=tmp_path) == "recorded"
    lower_pay = ConsentSubject(31337, "0xabc", 1, "0x" + "11" * 32, 10**16, 5 * 10**17, 10**18)
    with pytest.raises(ConsentRequired):
        obtain_consent(book, lower_pay, "summary", yes=False, yes_source="--yes", ask=None, home=tmp_path)
    assert book.has_job(31337, "0xABC", 1, "0x" + "11" * 32)
