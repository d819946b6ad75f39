"""Document text on the page: literal HTML, and the window of a long passage a reply shows."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from webapp.text import esc, snippet_window


@given(st.text())
def test_escaped_text_reads_back_as_the_original(text: str) -> None:
    out = esc(text)
    assert html.unescape(out) == text
    for raw in "<>\"'$`{}\\":
        assert raw not in out


def test_urls_keep_their_characters() -> None:
    assert esc("https://download.pytorch.org/whl/cpu") == "https://download.pytorch.org/whl/cpu"


@given(
    st.integers(0, 3000),
    st.one_of(st.none(), st.tuples(st.integers(0, 3000), st.integers(0, 400))),
    st.integers(50, 800),
)
def test_the_window_fits_and_holds_the_focus(
    length: int, focus: tuple[int, int] | None, limit: int
) -> None:
    if focus is not None:
        a = min(focus[0], length)
        focus = (a, min(length, a + focus[1]))
    lo, hi = snippet_window(length, focus, limit)
    assert 0 <= lo <= hi <= length
    if length <= limit:
        assert (lo, hi) == (0, length)
    elif focus is None:
        assert (lo, hi) == (0, limit)
    else:
        assert lo <= focus[0] and hi >= focus[1]
        assert hi - lo <= max(limit, focus[1] - focus[0])
