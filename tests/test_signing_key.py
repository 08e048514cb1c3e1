"""The signing key: one per install however many processes start together, never empty or short."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading

import pytest

from outreach.cli import main
from outreach.settings import SettingsError, get_settings
from outreach.signing_key import signing_key

STRONG = "k" * 32


def _start_together(barrier, data_dir, keys) -> None:  # noqa: ANN001
    barrier.wait()
    keys.put(signing_key("", data_dir))


def test_processes_starting_together_share_one_key(tmp_path):
    spawn = multiprocessing.get_context("fork")
    for attempt in range(5):
        data_dir = tmp_path / f"var{attempt}"
        barrier, keys = spawn.Barrier(8), spawn.Queue()
        processes = [spawn.Process(target=_start_together, args=(barrier, data_dir, keys)) for _ in range(8)]
        for process in processes:
            process.start()
        found = {keys.get(timeout=30) for _ in processes}
        for process in processes:
            process.join(30)

        assert len(found) == 1 and len(found.pop()) >= 32
        assert stat.S_IMODE(os.stat(data_dir / "secret_key").st_mode) == 0o600


def test_a_reader_waits_for_the_key_a_starting_process_is_writing(tmp_path):
    path = tmp_path / "secret_key"
    path.touch(mode=0o600)  # created by another process, not yet written
    writer = threading.Timer(0.2, path.write_text, args=("w" * 43,))
    writer.start()

    key = signing_key("", tmp_path)

    writer.join()
    assert key == "w" * 43


@pytest.mark.parametrize("content", ["", "short"])
def test_it_refuses_a_short_key_file_naming_it(tmp_path, content, monkeypatch):
    monkeypatch.setattr("outreach.signing_key.WAIT_FOR_WRITER_SECONDS", 0.1)
    (tmp_path / "secret_key").write_text(content)

    with pytest.raises(SettingsError, match=r"secret_key holds \d+ bytes, a signing key needs at least 32"):
        signing_key("", tmp_path)


@pytest.mark.parametrize("configured", ["short", "x" * 31])
def test_it_refuses_a_short_key_from_the_environment(tmp_path, configured):
    with pytest.raises(SettingsError, match="OUTREACH_SECRET_KEY holds .* at least 32"):
        signing_key(configured, tmp_path)


def test_a_long_key_from_the_environment_is_used_as_it_is(tmp_path):
    assert signing_key(STRONG, tmp_path) == STRONG
    assert not (tmp_path / "secret_key").exists()


def test_the_web_process_will_not_start_with_a_short_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUTREACH_DATABASE__URL", f"sqlite:///{tmp_path / 'outreach.db'}")
    monkeypatch.setenv("OUTREACH_OUTBOX__DIRECTORY", str(tmp_path / "outbox"))
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "changeme")
    monkeypatch.setattr("sys.argv", ["outreach", "web", "--port", "1"])
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: pytest.fail("the server started"))
    get_settings.cache_clear()

    with pytest.raises(SystemExit) as stopped:
        main()

    get_settings.cache_clear()
    assert stopped.value.code == 2
    assert "OUTREACH_SECRET_KEY holds 8 bytes" in capsys.readouterr().err
