"""The Writer: atomic, inside the root, once per path, unchanged files left alone."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hotpress._publish.disk as disk_module
from hotpress._publish import writer as writer_module
from hotpress._publish.writer import TEMP_DIR, SyncFs, Writer, sync_filesystem
from hotpress.exceptions import PublishError


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_new_file_is_written_with_its_folders(tmp_path: Path) -> None:
    writer = Writer(tmp_path / "out")
    assert writer.write("source/_posts/社交媒体/知乎/a.md", b"hello") is True
    assert (tmp_path / "out/source/_posts/社交媒体/知乎/a.md").read_bytes() == b"hello"
    assert (writer.written, writer.unchanged) == (1, 0)
    assert writer.paths == {PurePosixPath("source/_posts/社交媒体/知乎/a.md")}
    mode = stat.S_IMODE((tmp_path / "out/source/_posts/社交媒体/知乎/a.md").stat().st_mode)
    assert mode == 0o644


def test_identical_bytes_leave_the_file_untouched(tmp_path: Path) -> None:
    Writer(tmp_path).write("a.md", b"same")
    os.utime(tmp_path / "a.md", (1_000_000_000, 1_000_000_000))
    writer = Writer(tmp_path)
    assert writer.write(PurePosixPath("a.md"), b"same") is False
    assert (writer.written, writer.unchanged) == (0, 1)
    assert (tmp_path / "a.md").stat().st_mtime == 1_000_000_000


def test_changed_bytes_replace_the_file_and_keep_its_mode(tmp_path: Path) -> None:
    Writer(tmp_path).write("a.md", b"old")
    (tmp_path / "a.md").chmod(0o600)
    writer = Writer(tmp_path)
    assert writer.write("a.md", b"new, longer") is True
    assert (tmp_path / "a.md").read_bytes() == b"new, longer"
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o600
    assert _files(tmp_path) == ["a.md"]  # no temp file left behind


def test_the_same_path_is_never_written_twice(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    writer.write("x/a.md", b"1")
    for again in ("x/a.md", PurePosixPath("x/a.md"), "x//a.md", "./x/a.md"):
        with pytest.raises(PublishError, match="twice"):
            writer.write(again, b"2")
    assert (tmp_path / "x/a.md").read_bytes() == b"1"


@pytest.mark.parametrize(
    "bad", ["", ".", "/etc/passwd", "../a.md", "x/../../a.md", "x/..", "a\x00b", "a\\..\\b"]
)
def test_paths_leaving_the_root_are_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "out"
    with pytest.raises(PublishError) as caught:
        Writer(root).write(bad, b"x")
    assert caught.value.path == bad
    assert _files(tmp_path) == []


def test_a_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "posts").symlink_to(outside)
    with pytest.raises(PublishError, match="outside the output root"):
        Writer(root).write("posts/a.md", b"x")
    assert list(outside.iterdir()) == []


def test_a_symlinked_file_is_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"keep")
    root = tmp_path / "out"
    root.mkdir()
    (root / "a.md").symlink_to(target)
    with pytest.raises(PublishError, match="symlink"):
        Writer(root).write("a.md", b"x")
    assert target.read_bytes() == b"keep"


def test_a_symlinked_root_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert Writer(tmp_path / "link").write("a/b.md", b"x")
    assert (tmp_path / "real/a/b.md").read_bytes() == b"x"


def test_a_folder_in_the_way_becomes_a_publish_error_with_the_path(tmp_path: Path) -> None:
    (tmp_path / "a.md").mkdir()
    with pytest.raises(PublishError) as caught:
        Writer(tmp_path).write("a.md", b"x")
    assert caught.value.path == str(tmp_path / "a.md")
    assert isinstance(caught.value.__cause__, OSError)
    assert _files(tmp_path) == []


def test_a_file_in_place_of_a_folder_becomes_a_publish_error(tmp_path: Path) -> None:
    (tmp_path / "cat").write_bytes(b"")
    with pytest.raises(PublishError) as caught:
        Writer(tmp_path).write("cat/a.md", b"x")
    assert caught.value.path == str(tmp_path / "cat")
    assert isinstance(caught.value.__cause__, OSError)


def test_a_full_disk_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real full file system needs a mount; fsync failing with ENOSPC is what the kernel
    # reports for delayed allocation, so that is where the failure is injected.
    Writer(tmp_path).write("a.md", b"old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(PublishError, match="No space left") as caught:
        Writer(tmp_path).write("a.md", b"new")
    assert caught.value.path == str(tmp_path / "a.md")
    assert (tmp_path / "a.md").read_bytes() == b"old"
    assert _files(tmp_path) == ["a.md"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder_becomes_a_publish_error(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(PublishError) as caught:
            Writer(tmp_path).write("ro/a.md", b"x")
        assert isinstance(caught.value.__cause__, PermissionError)
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_a_writer_that_is_not_durable_skips_fsync_but_still_replaces_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Writer(tmp_path, durable=False).write("a.md", b"old")
    os.chmod(tmp_path / "a.md", 0o600)

    def no_fsync(fd: int) -> None:
        raise AssertionError("fsync called by a writer that is not durable")

    monkeypatch.setattr(os, "fsync", no_fsync)
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        replaced.append((src, os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    with Writer(tmp_path, durable=False) as writer:
        assert writer.write("a.md", b"new") is True
    assert (tmp_path / "a.md").read_bytes() == b"new"
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o600
    assert [dst for _, dst in replaced] == ["a.md"]
    src = Path(replaced[0][0])
    assert src.parent.name == TEMP_DIR and src.name.endswith(".tmp")
    assert _files(tmp_path) == ["a.md"]


def test_a_durable_writer_syncs_each_file_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    Writer(tmp_path).write("a.md", b"x")
    Writer(tmp_path, durable=False).write("b.md", b"x")
    assert len(synced) == 1


def test_many_files_in_one_folder_are_all_written_and_checked(tmp_path: Path) -> None:
    writer = Writer(tmp_path, durable=False)
    for n in range(5):
        writer.write(f"deep/er/{n}.html", str(n).encode())
    (tmp_path / "outside").mkdir()
    (tmp_path / "deep" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(PublishError, match="outside"):
        Writer(tmp_path / "deep", durable=False).write("link/x.html", b"x")
    assert _files(tmp_path) == [f"deep/er/{n}.html" for n in range(5)]


def test_temp_files_live_in_one_folder_that_is_gone_after_close(tmp_path: Path) -> None:
    from hotpress._publish.writer import TEMP_DIR

    with Writer(tmp_path) as writer:
        writer.write("a/b.md", b"x")
        assert (tmp_path / TEMP_DIR).is_dir()
    assert not (tmp_path / TEMP_DIR).exists()
    assert (tmp_path / "a" / "b.md").read_bytes() == b"x"


def test_temp_files_of_a_dead_writer_are_swept_and_a_live_ones_are_kept(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from hotpress._publish.writer import TEMP_DIR, sweep_temp

    folder = tmp_path / TEMP_DIR
    folder.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (folder / f"{dead}-1.tmp").write_bytes(b"half")
    (folder / f"{os.getppid()}-1.tmp").write_bytes(b"busy")  # a live process's file
    (folder / "notes.txt").write_bytes(b"not ours")
    assert sweep_temp(tmp_path) == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{os.getppid()}-1.tmp", "notes.txt"]
    )
    assert sweep_temp(tmp_path / "missing") == 0


def test_a_writer_with_deferred_sync_flushes_once_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync"))
    monkeypatch.setattr(writer_module, "sync_filesystem", lambda fd: calls.append("sync"))
    with Writer(tmp_path, defer_sync=True) as writer:
        for n in range(5):
            writer.write(f"p{n}.md", b"x")
        assert calls == []
        writer.sync()
        assert calls == ["sync"]
        writer.sync()  # nothing new: no flush
        writer.write("q.md", b"y")
    assert calls == ["sync", "sync"]  # close() flushes what is pending


def test_syncfs_flushes_the_file_system_of_a_real_folder(tmp_path: Path) -> None:
    assert disk_module._SYNCFS is not None  # Linux, where the tests run
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        sync_filesystem(fd)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as caught:
        disk_module._SYNCFS(fd)  # closed: the C library's errno comes back as OSError
    assert caught.value.errno == errno.EBADF


def _kernel_without_syncfs(fd: int) -> None:
    raise OSError(errno.ENOSYS, "Function not implemented")


@pytest.mark.parametrize(
    "syncfs",
    [None, _kernel_without_syncfs],
    ids=["no syncfs in the C library", "a kernel without syncfs"],
)
def test_without_syncfs_every_disk_is_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: SyncFs | None
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    sync_filesystem(0, syncfs)
    assert calls == ["sync"]


def test_a_write_back_error_is_a_publish_error_and_the_files_stay_unflushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def failing_once(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(writer_module, "sync_filesystem", failing_once)
    with Writer(tmp_path, defer_sync=True) as writer:
        writer.write("a.md", b"x")
        with pytest.raises(PublishError, match="Input/output error") as caught:
            writer.sync()
        assert caught.value.path == str(tmp_path)
        assert isinstance(caught.value.__cause__, OSError)
        writer.sync()  # still owed: flushed again
        assert len(calls) == 2
    assert len(calls) == 2  # nothing left for close()


def test_a_sync_on_another_thread_covers_the_writes_done_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushing, go_on = threading.Event(), threading.Event()
    flushed: list[list[str]] = []

    def slow(fd: int) -> None:
        flushed.append(_files(tmp_path))
        flushing.set()
        assert go_on.wait(10)

    monkeypatch.setattr(writer_module, "sync_filesystem", slow)
    with Writer(tmp_path, defer_sync=True) as writer:
        writer.write("a.md", b"a")
        background = threading.Thread(target=writer.sync)
        background.start()
        assert flushing.wait(10)
        writer.write("b.md", b"b")  # while the flush runs: the next sync must cover it
        go_on.set()
        background.join()
        writer.sync()
        writer.sync()  # nothing new since
    assert flushed == [["a.md"], ["a.md", "b.md"]]


def test_the_folder_kept_open_for_flushing_is_closed_with_the_writer(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    with Writer(tmp_path, defer_sync=True) as writer:
        writer.write("a.md", b"x")
        assert len(os.listdir("/proc/self/fd")) == before + 1
    assert len(os.listdir("/proc/self/fd")) == before
    Writer(tmp_path).write("b.md", b"x")  # a writer that flushes per file keeps none open
    assert len(os.listdir("/proc/self/fd")) == before


def _as_pathlib_reads_it(text: str) -> str | None:
    """The path rules stated with PurePosixPath: the normalized path, or None if refused."""
    rel = PurePosixPath(text)
    refused = (
        not text
        or "\x00" in text
        or "\\" in text
        or rel.is_absolute()
        or ".." in rel.parts
        or rel.name in ("", ".")
    )
    return None if refused else str(rel)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "中", ".", "..", "/", "//", "\\", "\x00", "\n", " "])))
def test_paths_are_read_as_pathlib_reads_them(parts: list[str]) -> None:
    text = "".join(parts)
    writer = Writer(Path("/nonexistent"))
    try:
        got: str | None = writer._relative(text)
    except PublishError:
        got = None
    assert got == _as_pathlib_reads_it(text)


@pytest.fixture
def umask() -> object:
    """Set the process umask for one test (tests run in one thread here)."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002, 0o777])
def test_new_and_replaced_files_get_their_mode_whatever_the_umask(
    tmp_path: Path, umask: object, mask: int
) -> None:
    os.umask(mask)
    assert writer_module.process_umask() == mask
    (tmp_path / "b.md").write_bytes(b"old")
    os.chmod(tmp_path / "b.md", 0o640)
    writer = Writer(tmp_path)
    writer.write("a.md", b"new")
    writer.write("b.md", b"changed")
    writer.close()
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.md").stat().st_mode) == 0o640


def test_a_writer_that_cannot_read_the_umask_sets_every_mode(
    tmp_path: Path, umask: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.umask(0o077)
    monkeypatch.setattr(writer_module, "process_umask", lambda: None)
    writer = Writer(tmp_path)
    writer.write("a.md", b"new")
    writer.close()
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == 0o644
