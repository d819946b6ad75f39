"""The file formats docqa reads: one :class:`Format` entry per format, in one registry.

Everything that depends on a file's format asks its entry: the folder walk (which files are
read), the reader (decoded text streamed in windows, or bytes extracted whole), the citation
(line numbers or not), the source panel (text, rendered Markdown, or page image) and ``verify``.
Adding a format is one entry here and, unless it is plain or Markdown text, one extractor module
in this package (see README.md in this folder). A registry is a value: tests and callers can
pass their own (``IndexConfig(formats=...)``) built with :meth:`FormatRegistry.with_format`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

from . import Extracted

__all__ = ["BUILTIN_FORMATS", "FORMATS", "Format", "FormatRegistry", "Locator", "SourceView"]

# The paragraph rules for decoded text (see :mod:`index.paragraphs`).
_SYNTAXES = ("text", "markdown")


class SourceView(StrEnum):
    """How the app's source panel shows a file around a cited passage."""

    TEXT = "text"  # the text docqa read, as is
    MARKDOWN = "markdown"  # rendered (headings, lists, code), the text on request
    PAGE = "page"  # the extracted text, and the passage marked on an image of its page


class Locator(StrEnum):
    """What besides the paragraph number a citation gives to find a passage."""

    LINES = "lines"  # line numbers: the file is the text docqa read
    PAGES = "pages"  # page numbers (and printed labels)
    PARAGRAPHS = "paragraphs"  # the paragraph number alone: lines of extracted text mean nothing


@dataclass(frozen=True)
class Format:
    """One file format.

    ``extract`` turns the file's bytes into text with paragraphs (:class:`Extracted`); it raises
    :class:`~index.formats.ExtractError` with a reason for the user. A format without one is
    text: decoded (UTF-8, or UTF-16/32 with a byte order mark), read in windows however large
    (``streamed``), cut into paragraphs by the rules of ``syntax`` (``"text"``: blank lines;
    ``"markdown"``: headings, fences, tables...), and checked byte by byte for NUL (binary).
    """

    name: str
    extensions: tuple[str, ...]
    extract: Callable[[bytes], Extracted] | None = None
    syntax: str = "text"
    view: SourceView = SourceView.TEXT
    locator: Locator = Locator.PARAGRAPHS

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip().lower():
            raise ValueError(f"format name {self.name!r} must be a lowercase word, like 'rst'")
        if isinstance(self.extensions, str) or not self.extensions:
            raise ValueError(f"format {self.name!r}: give extensions as a tuple, like ('.rst',)")
        for ext in self.extensions:
            if not ext.startswith(".") or ext != ext.lower() or len(ext) < 2:
                raise ValueError(
                    f"format {self.name!r}: extension {ext!r} must be lowercase with its dot, "
                    "like '.rst'"
                )
        if self.syntax not in _SYNTAXES:
            raise ValueError(
                f"format {self.name!r}: syntax {self.syntax!r} is not one of {', '.join(_SYNTAXES)}"
            )

    @property
    def streamed(self) -> bool:
        """Read as decoded text in windows (bounded memory), rather than extracted whole."""
        return self.extract is None


@dataclass(frozen=True)
class FormatRegistry:
    """The formats docqa reads, looked up by extension or by name."""

    formats: tuple[Format, ...]
    _by_suffix: dict[str, Format] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, Format] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_suffix: dict[str, Format] = {}
        by_name: dict[str, Format] = {}
        for fmt in self.formats:
            if fmt.name in by_name:
                raise ValueError(f"format {fmt.name!r} is registered twice; give it another name")
            by_name[fmt.name] = fmt
            for ext in fmt.extensions:
                if ext in by_suffix:
                    raise ValueError(
                        f"extension {ext!r} of format {fmt.name!r} is already read as "
                        f"{by_suffix[ext].name!r}; leave it out of one of them"
                    )
                by_suffix[ext] = fmt
        object.__setattr__(self, "_by_suffix", by_suffix)
        object.__setattr__(self, "_by_name", by_name)

    def with_format(self, fmt: Format) -> FormatRegistry:
        """A copy of this registry with ``fmt`` added (ValueError if its name or an extension
        is taken)."""
        return FormatRegistry((*self.formats, fmt))

    def unsupported(self, suffix: str) -> str:
        """Why a file with ``suffix`` is not read, naming the types that are."""
        return (
            f"unsupported file type {suffix or '(none)'!r}; docqa reads {', '.join(self.suffixes)}"
        )

    def for_suffix(self, suffix: str) -> Format | None:
        """The format of files ending in ``suffix`` (``".MD"`` or ``".md"``); None if unread."""
        return self._by_suffix.get(suffix.lower())

    def for_path(self, path: str | PurePath) -> Format | None:
        """The format of the file at ``path``, by its extension; None if docqa does not read it."""
        return self.for_suffix(PurePath(path).suffix)

    def named(self, name: str) -> Format | None:
        """The format called ``name`` (as stored in a manifest); None if there is none."""
        return self._by_name.get(name)

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every extension read, sorted (``.docx``, ``.htm``, ...)."""
        return tuple(sorted(self._by_suffix))

    @property
    def names(self) -> tuple[str, ...]:
        """Every format name, sorted."""
        return tuple(sorted(self._by_name))

    def suffix_names(self) -> dict[str, str]:
        """``{extension: format name}``, the shape of the older ``index.FORMATS`` table."""
        return {ext: fmt.name for ext, fmt in self._by_suffix.items()}


# The extractors import their parsers (pypdfium2, python-docx, selectolax) when first used.
def _html(data: bytes) -> Extracted:
    from .html import extract

    return extract(data)


def _docx(data: bytes) -> Extracted:
    from .docx import extract

    return extract(data)


def _pdf(data: bytes) -> Extracted:
    from .pdf import extract

    return extract(data)


BUILTIN_FORMATS = FormatRegistry(
    (
        Format("text", (".txt", ".text"), locator=Locator.LINES),
        Format(
            "markdown",
            (".md", ".markdown"),
            syntax="markdown",
            view=SourceView.MARKDOWN,
            locator=Locator.LINES,
        ),
        Format("html", (".html", ".htm"), _html),
        Format("docx", (".docx",), _docx),
        Format("pdf", (".pdf",), _pdf, view=SourceView.PAGE, locator=Locator.PAGES),
    )
)

# File extension -> format name: the table ``index.FORMATS`` has always been.
FORMATS: dict[str, str] = BUILTIN_FORMATS.suffix_names()
