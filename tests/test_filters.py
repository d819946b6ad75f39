"""Filtering by folder and file type: qa.filters, Retriever.retrieve(folders=, types=), docqa ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import paragraph, rewrite, write_files

import qa
from index import IndexConfig, build_index
from qa.cli import cli
from qa.filters import Filter, Subsets, choices
from qa.retriever import CANDIDATES

QUESTION = "zebra river crossing"
# More passages that match the question well than a search takes candidates, so that a filter
# applied to the candidates afterwards would find none of the two weak ones in tiny/.
MANY = CANDIDATES + 20


def _page(text: str) -> str:
    return f"<html><body><p>{text}</p></body></html>"


@pytest.fixture(scope="module")
def herd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus in folders and formats, indexed with the hashing encoder."""
    root = tmp_path_factory.mktemp("herd")
    strong = [
        paragraph(f"Zebra herd {i} waits at the river crossing; zebra after zebra crosses.", 64)
        for i in range(MANY)
    ]
    files: dict[str, str | bytes] = {
        f"many/part{n}.txt": "\n\n".join(strong[n::10]) for n in range(10)
    }
    files |= {
        "tiny/pair.md": paragraph("A heron fishes by the river at dawn.", 64)
        + "\n\n"
        + paragraph("Otters play where the river bends.", 64),
        "guides/intro.md": paragraph("The intro guide talks about zebra stripes.", 64),
        "guides/advanced/tuning.md": paragraph("Tuning a zebra crossing light.", 64),
        "guides/advanced/notes.txt": paragraph("Notes on river crossing safety.", 64),
        "guides/advanced/old.markdown": paragraph("An old page on zebra crossings.", 64),
        "ref/page.html": _page(paragraph("A reference page on the river.", 64)),
        "ref/legacy.htm": _page(paragraph("A legacy page on the zebra.", 64)),
        "top.txt": paragraph("A top-level note on a zebra at the river crossing.", 64),
    }
    docs = write_files(root / "docs", files)
    build_index(docs, IndexConfig(index_dir=root / "index", model="hashing"))
    return root / "index"


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


# --- docqa ask --folder --type -----------------------------------------------------------------


def ask(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["ask", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_ask_takes_repeated_folder_and_type_options(herd: Path) -> None:
    code, out, _ = ask(
        QUESTION, "--index", str(herd), "--folder", "guides", "--folder", "tiny",
        "--type", "md", "--type", ".markdown", "-k", "10", "--json",
    )  # fmt: skip
    assert code == 0
    assert {item["source"] for item in json.loads(out)} == {
        "tiny/pair.md",
        "guides/intro.md",
        "guides/advanced/tuning.md",
        "guides/advanced/old.markdown",
    }
    code, out, _ = ask(QUESTION, "--index", str(herd), "--folder", "tiny", "-k", "5")
    assert code == 0
    assert "1. tiny/pair.md" in out and "2. tiny/pair.md" in out and "many/" not in out


def test_ask_json_keys_are_the_same_with_a_filter(herd: Path) -> None:
    _, plain, _ = ask(QUESTION, "--index", str(herd), "-k", "1", "--json")
    _, filtered, _ = ask(QUESTION, "--index", str(herd), "-k", "1", "--json", "--type", "htm")
    assert json.loads(plain)[0].keys() == json.loads(filtered)[0].keys()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--type", "xlsx", "docqa: error: unknown file type 'xlsx'; choose a suffix"),
        ("--folder", "/etc", "docqa: error: folder '/etc' is not relative"),
        ("--folder", "nowhere", "docqa: error: folder 'nowhere' holds no indexed file"),
    ],
)
def test_ask_with_a_bad_filter_is_a_one_line_error(
    herd: Path, option: str, value: str, message: str
) -> None:
    code, out, err = ask(QUESTION, "--index", str(herd), option, value)
    assert code == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_ask_says_when_the_filter_leaves_nothing(herd: Path) -> None:
    code, out, _ = ask(QUESTION, "--index", str(herd), "--folder", "tiny", "--type", "txt")
    assert code == 0
    assert out.strip() == (
        "no indexed passage is in the folders and types asked for; widen --folder or --type"
    )


def test_ask_help_explains_the_filter_options() -> None:
    out = CliRunner().invoke(cli, ["ask", "--help"]).output
    assert "--folder FOLDER" in out and "--type TYPE" in out and "Repeat" in out
