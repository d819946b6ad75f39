"""The skipped files of ``docqa index`` and ``docqa status``, for a person to read.

A few are listed one per line. A long list (a folder of 20,000 empty files) is summed up by
reason: how many, and the first few paths; ``--verbose`` lists them all, ``--json`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .output import listing

__all__ = ["skipped_lines"]

# Up to this many skipped files are listed one per line; more are summed up by reason.
LIST_AT_MOST = 10
# Paths shown for each reason in a summary.
FIRST_FEW = 5


def skipped_lines(items: Sequence[Mapping[str, Any]], *, verbose: bool = False) -> list[str]:
    """One line per item of ``files_skipped`` (``skipped PATH: REASON``, or ``warning ...``
    for a file indexed with a problem); past :data:`LIST_AT_MOST` items and without
    ``verbose``, a summary per reason instead."""
    if verbose or len(items) <= LIST_AT_MOST:
        return [_line(item) for item in items]
    lines: list[str] = []
    for group in _by_reason(items).values():
        lines += _summary(group)
    return lines


def _line(item: Mapping[str, Any]) -> str:
    return f"  {_verb(item)} {item['path']}: {item['reason']}"


def _verb(item: Mapping[str, Any]) -> str:
    return "warning" if item.get("indexed") else "skipped"


def _by_reason(
    items: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """The items grouped by their reason code (their reason text, the path left out, for
    records without one), in order of first appearance."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in items:
        key = str(item.get("code") or _reason_alone(item))
        groups.setdefault((_verb(item), key), []).append(item)
    return groups


def _reason_alone(item: Mapping[str, Any]) -> str:
    """The reason without the file's own path in it, so two files can share it."""
    return str(item["reason"]).replace(str(item["path"]), "FILE")


def _summary(group: list[Mapping[str, Any]]) -> list[str]:
    if len(group) == 1:
        return [_line(group[0])]
    reasons = {_reason_alone(item) for item in group}
    shared = len(reasons) == 1
    why = reasons.pop() if shared else f"{group[0].get('code')} (reasons vary)"
    paths = [f"    {item['path']}" + ("" if shared else f": {item['reason']}") for item in group]
    more = "--verbose or --json lists them all"
    return [
        f"  {_verb(group[0])} {len(group)} files: {why}",
        *listing(paths, at_most=FIRST_FEW, more=more, indent="    "),
    ]
