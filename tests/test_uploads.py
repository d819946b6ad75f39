"""Uploads land inside the documents folder, typed, sized and named safely, never over an
existing document unless asked, and leave no temporary files behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.errors import DocsNotFoundError
from webapp.saveuploads import Refused, UploadReport, save_uploads

LIMIT = 1000


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    return d


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    d = tmp_path / "gradio-tmp"
    d.mkdir()
    return d


def upload(folder: Path, data: bytes = b"# Notes\n\nOtters hold hands.\n", name: str = "f") -> Path:
    """A temp file as the server stores it (its own name, not the client's)."""
    path = folder / f"{name}-{len(list(folder.iterdir()))}"
    path.write_bytes(data)
    return path


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_saves_allowed_files_and_removes_the_temp_uploads(docs: Path, uploads: Path) -> None:
    a, b = upload(uploads, b"alpha"), upload(uploads, b"beta")
    report = save_uploads([("notes.md", a), ("Report.PDF", b)], docs, max_bytes=LIMIT)
    assert report == UploadReport(saved=("notes.md", "Report.PDF"), refused=(), conflicts=())
    assert files_in(docs) == {"notes.md": b"alpha", "Report.PDF": b"beta"}
    assert list(uploads.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "the name is empty"),
        ("dir/", "the name is empty"),
        ("a/..", "'..' is not a name"),
        (".hidden.md", "hidden names"),
        ("bad\x07name.md", "control characters"),
        ("line\nbreak.md", "control characters"),
        ("evil\u202edm.exe.md", "control characters"),
        ("x" * 198 + ".md", "longer than 200 bytes"),
        ("é" * 99 + ".md", "longer than 200 bytes"),  # 201 bytes in UTF-8, 102 characters
        ("program.exe", "unsupported file type '.exe'"),
        ("Makefile", "unsupported file type '(none)'"),
        ("notes.md.", "unsupported file type '(none)'"),
    ],
)
def test_bad_names_are_refused_with_a_reason(
    docs: Path, uploads: Path, name: str, reason: str
) -> None:
    tmp = upload(uploads)
    report = save_uploads([(name, tmp)], docs, max_bytes=LIMIT)
    assert report.saved == () and report.conflicts == ()
    assert len(report.refused) == 1
    assert report.refused[0].name == name
    assert reason in report.refused[0].reason
    assert files_in(docs) == {}
    assert not tmp.exists()


def test_name_of_exactly_200_bytes_is_accepted(docs: Path, uploads: Path) -> None:
    name = "x" * 197 + ".md"
    assert save_uploads([(name, upload(uploads))], docs, max_bytes=LIMIT).saved == (name,)


def test_too_big_is_refused_with_size_and_limit(docs: Path, uploads: Path) -> None:
    big = upload(uploads, b"x" * 2_500_000)
    report = save_uploads([("big.txt", big)], docs, max_bytes=2_000_000)
    assert report.refused == (
        Refused(
            "big.txt",
            "the file is 2.5 MB, over the upload limit of 2.0 MB; upload a smaller file",
        ),
    )
    assert files_in(docs) == {} and not big.exists()


def test_file_at_the_limit_is_saved(docs: Path, uploads: Path) -> None:
    report = save_uploads([("edge.txt", upload(uploads, b"x" * LIMIT))], docs, max_bytes=LIMIT)
    assert report.saved == ("edge.txt",)


def test_missing_temp_file_is_refused(docs: Path, uploads: Path) -> None:
    report = save_uploads([("gone.md", uploads / "nope")], docs, max_bytes=LIMIT)
    assert report.refused == (
        Refused("gone.md", "the upload did not arrive; upload the file again"),
    )


def test_same_name_twice_in_one_upload_saves_the_first_only(docs: Path, uploads: Path) -> None:
    report = save_uploads(
        [("a.md", upload(uploads, b"one")), ("A.md", upload(uploads, b"two"))],
        docs,
        max_bytes=LIMIT,
        replace=True,
    )
    assert report.saved == ("a.md",)
    assert "twice" in report.refused[0].reason
    assert files_in(docs) == {"a.md": b"one"}


def test_existing_file_is_a_conflict_and_stays_untouched(docs: Path, uploads: Path) -> None:
    (docs / "guide.md").write_bytes(b"original")
    tmp = upload(uploads, b"new")
    report = save_uploads([("guide.md", tmp)], docs, max_bytes=LIMIT)
    assert report == UploadReport(saved=(), refused=(), conflicts=("guide.md",))
    assert files_in(docs) == {"guide.md": b"original"}
    assert not tmp.exists()


def test_replace_swaps_the_content_and_leaves_no_temp_file(docs: Path, uploads: Path) -> None:
    (docs / "guide.md").write_bytes(b"original")
    report = save_uploads(
        [("guide.md", upload(uploads, b"new"))], docs, max_bytes=LIMIT, replace=True
    )
    assert report.saved == ("guide.md",)
    assert sorted(os.listdir(docs)) == ["guide.md"]  # no .docqa-upload-*.part left
    assert files_in(docs) == {"guide.md": b"new"}


def test_refused_replacement_never_loses_the_existing_document(docs: Path, uploads: Path) -> None:
    (docs / "guide.md").write_bytes(b"original")
    report = save_uploads(
        [("guide.md", upload(uploads, b"x" * (LIMIT + 1)))], docs, max_bytes=LIMIT, replace=True
    )
    assert "over the upload limit" in report.refused[0].reason
    assert files_in(docs) == {"guide.md": b"original"}


@pytest.mark.parametrize(
    "name", ["../x.md", "/etc/x.md", "..\\x.md", "a/../../x.md", "C:\\Windows\\x.md", "./x.md"]
)
def test_directory_parts_of_the_name_are_dropped(docs: Path, uploads: Path, name: str) -> None:
    report = save_uploads([(name, upload(uploads, b"safe"))], docs, max_bytes=LIMIT)
    assert report.saved == ("x.md",)
    assert files_in(docs.parent) == {"docs/x.md": b"safe"}  # nothing beside docs, only in it


def test_name_is_normalised_to_nfc(docs: Path, uploads: Path) -> None:
    report = save_uploads([("cafe\u0301.md", upload(uploads))], docs, max_bytes=LIMIT)
    assert report.saved == ("caf\u00e9.md",)
    assert (docs / "caf\u00e9.md").exists()


def test_saves_into_a_subfolder_created_on_demand(docs: Path, uploads: Path) -> None:
    report = save_uploads(
        [("n.md", upload(uploads, b"n"))], docs, max_bytes=LIMIT, subfolder="team\\notes/"
    )
    assert report.saved == ("team/notes/n.md",)
    assert files_in(docs) == {"team/notes/n.md": b"n"}


@pytest.mark.parametrize(
    ("subfolder", "reason"),
    [
        ("..", "'..' is not a name"),
        ("a/../../outside", "'..' is not a name"),
        ("/tmp", "is absolute"),
        ("\\tmp", "is absolute"),
        ("C:\\docs", "is absolute"),
        (".git", "hidden names"),
        ("bad\x00dir", "control characters"),
    ],
)
def test_subfolder_escapes_are_refused(
    docs: Path, uploads: Path, subfolder: str, reason: str
) -> None:
    tmp = upload(uploads)
    report = save_uploads([("n.md", tmp)], docs, max_bytes=LIMIT, subfolder=subfolder)
    assert report.saved == ()
    assert reason in report.refused[0].reason and repr(subfolder) in report.refused[0].reason
    assert files_in(docs.parent) == {}  # not even in gradio-tmp: the upload was removed
    assert not tmp.exists()


def test_subfolder_symlink_leading_outside_is_refused(
    docs: Path, uploads: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (docs / "link").symlink_to(outside)
    (docs / "dangling").symlink_to(tmp_path / "not-yet")
    for sub in ("link", "link/deeper", "dangling"):
        report = save_uploads([("n.md", upload(uploads))], docs, max_bytes=LIMIT, subfolder=sub)
        assert "leads outside the documents folder" in report.refused[0].reason
    assert list(outside.iterdir()) == [] and not (tmp_path / "not-yet").exists()


def test_subfolder_symlink_inside_docs_saves_under_the_real_path(docs: Path, uploads: Path) -> None:
    (docs / "real").mkdir()
    (docs / "alias").symlink_to(docs / "real")
    report = save_uploads([("n.md", upload(uploads))], docs, max_bytes=LIMIT, subfolder="alias")
    assert report.saved == ("real/n.md",)


@pytest.mark.parametrize("replace", [False, True])
def test_symlink_at_the_destination_is_never_followed(
    docs: Path, uploads: Path, tmp_path: Path, replace: bool
) -> None:
    target = tmp_path / "victim.md"
    target.write_bytes(b"victim")
    (docs / "x.md").symlink_to(target)
    report = save_uploads(
        [("x.md", upload(uploads, b"evil"))], docs, max_bytes=LIMIT, replace=replace
    )
    assert report.refused == (
        Refused("x.md", "x.md is a symbolic link; docqa does not replace links"),
    )
    assert target.read_bytes() == b"victim"
    assert (docs / "x.md").is_symlink()


def test_directory_at_the_destination_is_refused(docs: Path, uploads: Path) -> None:
    (docs / "x.md").mkdir()
    report = save_uploads([("x.md", upload(uploads))], docs, max_bytes=LIMIT, replace=True)
    assert "is not a file" in report.refused[0].reason
    assert (docs / "x.md").is_dir()


def test_a_document_passed_as_the_upload_is_neither_copied_nor_deleted(docs: Path) -> None:
    (docs / "keep.md").write_bytes(b"keep")
    report = save_uploads([("copy.md", docs / "keep.md")], docs, max_bytes=LIMIT)
    assert report.refused == (Refused("copy.md", "not an uploaded file"),)
    assert files_in(docs) == {"keep.md": b"keep"}


def test_missing_docs_folder_raises_and_still_removes_uploads(
    tmp_path: Path, uploads: Path
) -> None:
    tmp = upload(uploads)
    with pytest.raises(DocsNotFoundError, match="does not exist"):
        save_uploads([("n.md", tmp)], tmp_path / "nope", max_bytes=LIMIT)
    assert not tmp.exists()


def test_non_positive_limit_is_a_programming_error(docs: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes must be positive"):
        save_uploads([], docs, max_bytes=0)


def test_new_file_mode_follows_the_umask(docs: Path, uploads: Path) -> None:
    old = os.umask(0o027)
    try:
        save_uploads([("n.md", upload(uploads))], docs, max_bytes=LIMIT)
    finally:
        os.umask(old)
    assert (docs / "n.md").stat().st_mode & 0o777 == 0o640
