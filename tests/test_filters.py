"""Filtering by folder and file type: qa.filters, Retriever.retrieve(folders=, types=).
docqa ask's options are in test_filters_cli.py."""

from __future__ import annotations

from pathlib import Path

import filters_helpers
import pytest
from filters_helpers import MANY, QUESTION
from helpers import paragraph, rewrite, write_files

import qa
from index import IndexConfig, build_index
from qa.filters import Filter, Subsets, choices
from qa.ranking import CANDIDATES

# Fixtures from filters_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
herd = filters_helpers.herd


@pytest.fixture(scope="module")
def retriever(herd: Path) -> qa.Retriever:
    return qa.Retriever(herd)


def sources(results: list[qa.Result]) -> set[str]:
    return {r.source for r in results}


# --- folders -----------------------------------------------------------------------------------


def test_a_folder_keeps_the_files_under_it_at_any_depth(retriever: qa.Retriever) -> None:
    got = sources(retriever.retrieve(QUESTION, 20, folders=["guides"], per_file=0))
    assert got == {
        "guides/intro.md",
        "guides/advanced/tuning.md",
        "guides/advanced/notes.txt",
        "guides/advanced/old.markdown",
    }
    deeper = sources(retriever.retrieve(QUESTION, 20, folders=["guides/advanced"], per_file=0))
    assert deeper == got - {"guides/intro.md"}


def test_several_folders_are_any_of_them(retriever: qa.Retriever) -> None:
    got = sources(retriever.retrieve(QUESTION, 20, folders=["tiny", "ref"]))
    assert got == {"tiny/pair.md", "ref/page.html", "ref/legacy.htm"}


@pytest.mark.parametrize("spelling", ["guides/advanced/", "./guides/advanced", "guides//advanced"])
def test_a_folder_may_be_spelled_loosely(retriever: qa.Retriever, spelling: str) -> None:
    exact = retriever.retrieve(QUESTION, 5, folders=["guides/advanced"])
    assert retriever.retrieve(QUESTION, 5, folders=[spelling]) == exact


@pytest.mark.parametrize("everything", [[""], ["."], ["tiny", "."]])
def test_the_top_folder_is_no_filter(retriever: qa.Retriever, everything: list[str]) -> None:
    assert retriever.retrieve(QUESTION, 5, folders=everything) == retriever.retrieve(QUESTION, 5)


def test_a_folder_name_is_not_a_prefix_of_its_siblings(retriever: qa.Retriever) -> None:
    with pytest.raises(ValueError, match="folder 'guide' holds no indexed file"):
        retriever.retrieve(QUESTION, 5, folders=["guide"])


# --- types -------------------------------------------------------------------------------------


def test_a_type_keeps_the_files_with_its_suffix(retriever: qa.Retriever) -> None:
    got = sources(retriever.retrieve(QUESTION, 200, types=["txt"], per_file=0))
    assert got == {f"many/part{n}.txt" for n in range(10)} | {
        "guides/advanced/notes.txt",
        "top.txt",
    }


@pytest.mark.parametrize("spelling", ["md", ".md", "MD", ".Md", " md "])
def test_a_suffix_with_or_without_its_dot_in_any_case(
    retriever: qa.Retriever, spelling: str
) -> None:
    got = sources(retriever.retrieve(QUESTION, 20, types=[spelling], per_file=0))
    assert got == {"tiny/pair.md", "guides/intro.md", "guides/advanced/tuning.md"}


def test_a_format_name_means_all_its_suffixes_and_a_dot_only_one(
    retriever: qa.Retriever,
) -> None:
    def of(*types: str) -> set[str]:
        return sources(retriever.retrieve(QUESTION, 20, types=types, per_file=0))

    assert of("html") == {"ref/page.html", "ref/legacy.htm"}
    assert of(".html") == {"ref/page.html"}
    assert of("htm") == of(".htm") == {"ref/legacy.htm"}
    assert of("markdown") == of("md", ".markdown")
    assert "guides/advanced/old.markdown" in of("markdown")
    assert of("text") == of("txt")


def test_folder_and_type_together_are_both(retriever: qa.Retriever) -> None:
    got = sources(retriever.retrieve(QUESTION, 20, folders=["guides"], types=["md"]))
    assert got == {"guides/intro.md", "guides/advanced/tuning.md"}


def test_folder_and_type_that_no_file_has_together_find_nothing(
    retriever: qa.Retriever,
) -> None:
    assert retriever.retrieve(QUESTION, 5, folders=["tiny"], types=["txt"]) == []


# --- the filter is applied inside the search -----------------------------------------------


@pytest.mark.parametrize("mode", qa.MODES)
def test_a_small_folder_in_a_big_index_still_gives_all_its_passages(
    retriever: qa.Retriever, mode: str
) -> None:
    unfiltered = retriever.retrieve(QUESTION, CANDIDATES, mode=mode, per_file=0)
    assert "tiny/pair.md" not in sources(unfiltered)  # a filter after the search would miss it
    results = retriever.retrieve(QUESTION, 5, mode=mode, folders=["tiny"])
    assert [r.source for r in results] == ["tiny/pair.md", "tiny/pair.md"]
    assert {r.paragraph for r in results} == {1, 2}
    assert [r.rank for r in results] == [1, 2] and {r.mode for r in results} == {mode}


@pytest.mark.parametrize("mode", qa.MODES)
def test_every_mode_honours_folder_and_type(retriever: qa.Retriever, mode: str) -> None:
    results = retriever.retrieve(QUESTION, 5, mode=mode, folders=["guides"], types=["md", "txt"])
    assert len(results) == 3
    assert sources(results) <= {
        "guides/intro.md",
        "guides/advanced/tuning.md",
        "guides/advanced/notes.txt",
    }
    many = retriever.retrieve(QUESTION, 7, mode=mode, folders=["many"], per_file=0)
    assert len(many) == 7 and all(r.source.startswith("many/") for r in many)


def test_module_level_retrieve_takes_the_filter(herd: Path) -> None:
    results = qa.retrieve(QUESTION, 5, index=herd, folders=["ref"], types=["htm"])
    assert sources(results) == {"ref/legacy.htm"}


# --- bad values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folders", "types", "message"),
    [
        (["/etc"], [], "folder '/etc' is not relative to the documents folder; give one like"),
        (["~/docs"], [], "folder '~/docs' is not relative"),
        (["../secrets"], [], "folder '../secrets' climbs out with '..'"),
        (["guides/../../x"], [], "climbs out"),
        (
            [],
            ["xlsx"],
            r"unknown file type 'xlsx'; choose a suffix \(.docx, .htm, .*\) or a format",
        ),
        ([], ["."], "unknown file type '.'"),
        (
            ["nowhere"],
            [],
            "folder 'nowhere' holds no indexed file; folders in this index: "
            "guides, guides/advanced, many, ref, tiny",
        ),
        (
            [],
            ["pdf"],
            r"no indexed file is of type .pdf; types in this index: .htm, .html, "
            r".markdown, .md, .txt",
        ),
        ("guides", [], "folders must be a list of strings"),
        ([], [3], "types must be a list of strings"),
    ],
)
def test_bad_filter_values_are_one_line_value_errors(
    retriever: qa.Retriever, folders: list[str], types: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        retriever.retrieve(QUESTION, 5, folders=folders, types=types)
    assert "\n" not in str(caught.value)


# --- choices, Filter, Subsets ------------------------------------------------------------------


def test_choices_lists_every_folder_level_and_suffix(retriever: qa.Retriever) -> None:
    folders, types = choices(retriever.manifest)
    assert folders == ("guides", "guides/advanced", "many", "ref", "tiny")
    assert types == (".htm", ".html", ".markdown", ".md", ".txt")
    for folder in folders:
        assert retriever.retrieve(QUESTION, 1, folders=[folder])
    for suffix in types:
        assert retriever.retrieve(QUESTION, 1, types=[suffix])


def test_equal_filters_are_one_filter() -> None:
    a = Filter.of(["b", "a/", "./a"], ["MD", ".md", "txt"])
    assert a == Filter.of(["a", "b"], ["txt", "md"]) == Filter(("a", "b"), (".md", ".txt"))
    assert hash(a) == hash(Filter.of(["a", "b"], [".txt", ".md"]))
    assert not Filter.of() and not Filter.of(["."], []) and Filter.of([], ["pdf"])


def test_subsets_are_worked_out_once_and_none_when_every_file_passes(
    retriever: qa.Retriever,
) -> None:
    subsets, snap = Subsets(), retriever.snapshot()
    tiny = subsets.get(snap, Filter.of(["tiny"]))
    assert tiny is not None and len(tiny) == 2 and not tiny.excluded
    assert subsets.get(snap, Filter.of(["./tiny/"])) is tiny
    most = subsets.get(snap, Filter.of(["many"]))  # kept as the few passages it leaves out
    assert most is not None and most.excluded and len(most) == MANY
    assert len(most.ids) == len(snap) - MANY
    html = Filter.of([], ["html", "md", "markdown", "txt"])  # every file's type
    assert subsets.get(snap, html) is None
    assert subsets.get(snap, Filter.of()) is None


def test_a_rebuilt_index_is_filtered_by_its_own_files(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a/one.txt": paragraph("Zebra one.", 64)})
    config = IndexConfig(index_dir=tmp_path / "index", model="hashing")
    build_index(docs, config)
    retriever = qa.Retriever(config.index_dir)
    assert sources(retriever.retrieve("zebra", 5, folders=["a"])) == {"a/one.txt"}
    write_files(docs, {"a/two.txt": paragraph("Zebra two.", 64)})
    rewrite(docs / "a/one.txt", paragraph("Zebra one, changed.", 64))
    build_index(docs, config)
    results = retriever.retrieve("zebra", 5, folders=["a"])
    assert sources(results) == {"a/one.txt", "a/two.txt"}
    assert any(r.text.startswith("Zebra one, changed.") for r in results)
