"""Smoke test of an installed docqa, run by .ci/smoke with the python of a fresh venv that holds
only the wheel (and gradio_client), from a folder outside the checkout.

    python -I smoke.py CHECKOUT WORKDIR

It proves the modules come from the venv, then, as a user would: indexes a folder of txt, md,
html, docx and pdf files, asks one question per file (each answer must cite its file), checks
``status`` and ``verify``, and serves docqa's own guide with ``docqa serve`` (no --docs),
asking it through gradio_client. The real model, offline. Exits non-zero on the first failure.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

CHECKOUT = Path(sys.argv[1]).resolve()
WORK = Path(sys.argv[2]).resolve()
VENV = Path(sys.prefix).resolve()
DOCQA = VENV / "bin" / "docqa"
SERVE_TIMEOUT = 600.0  # indexing the guide with the real model on a busy 2-core machine

# One distinct subject per file: a question about it must cite that file first.
FILES = {
    "notes.txt": (
        "Bananas are yellow fruit rich in potassium. A medium banana holds about four hundred "
        "milligrams of it, and the starch in its flesh turns to sugar as it ripens.",
        "Which fruit is rich in potassium and turns sweet as it ripens?",
    ),
    "volcanoes.md": (
        "# Volcanoes\n\n## Eruptions\n\nA volcano erupts when molten rock called magma rises "
        "through the crust. Lava flows and clouds of ash pour out of the crater.\n",
        "What happens when magma rises and a volcano erupts?",
    ),
    "bees.html": (
        "<html><head><title>Bees</title></head><body><h1>Honeybees</h1><p>Honeybees live in "
        "hives ruled by a single queen. Worker bees collect nectar from flowers and turn it into "
        "honey stored in wax combs.</p></body></html>",
        "How do worker bees make honey in the hive?",
    ),
    "lighthouse.docx": (
        "A lighthouse keeper climbed the spiral stairs each evening to light the lamp, so that "
        "ships at sea could steer clear of the rocks along the coast.",
        "Who lit the lamp so ships could avoid the rocks near the coast?",
    ),
    "chess.pdf": (
        "Chess is a board game for two players. Each player moves sixteen pieces across a board "
        "of sixty four squares, trying to checkmate the king of the opponent.",
        "In which board game do players try to checkmate the opposing king?",
    ),
}


def fail(message: str) -> None:
    sys.exit(f"smoke: FAILED: {message}")


def check(condition: object, message: str) -> None:
    if not condition:
        fail(message)


def env() -> dict[str, str]:
    """The user's environment, minus anything that could put the checkout on sys.path."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DOCQA_"))}
    out.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        XDG_DATA_HOME=str(WORK / "data"),  # default index folders
        XDG_CACHE_HOME=str(WORK / "cache"),  # engine probes, ONNX export
        VIRTUAL_ENV=str(VENV),
        PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return out


def docqa(*args: str, expect: int = 0) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [str(DOCQA), *args], capture_output=True, text=True, env=env(), cwd=WORK, check=False
    )
    took = time.monotonic() - started
    print(f"smoke: docqa {' '.join(args[:2])} ... exit {done.returncode} ({took:.1f} s)")
    if done.returncode != expect:
        fail(
            f"docqa {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def assert_installed() -> None:
    """Every docqa module this process and its children import is the venv's, not the checkout's."""
    import app
    import index
    import index.formats
    import qa
    import webapp

    for module in (app, index, index.formats, qa, webapp):
        where = Path(module.__file__ or "").resolve()
        check(where.is_relative_to(VENV), f"{module.__name__} comes from {where}, not {VENV}")
        check(not where.is_relative_to(CHECKOUT), f"{module.__name__} comes from the checkout")
    check(not Path.cwd().resolve().is_relative_to(CHECKOUT), "run from inside the checkout")
    check(DOCQA.is_file(), f"no docqa command in {VENV / 'bin'}")
    print(f"smoke: docqa imported from {Path(qa.__file__ or '').parent.parent}")


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF of ``text`` in Helvetica, written by hand (no PDF library in this venv)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 60:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    shown = " T* ".join(f"({line})Tj" for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_folder(docs: Path) -> None:
    import docx  # python-docx, one of docqa's dependencies

    docs.mkdir(parents=True)
    for name, (text, _) in FILES.items():
        path = docs / name
        if name.endswith(".docx"):
            document = docx.Document()
            document.add_heading("Lighthouses", level=1)
            document.add_paragraph(text)
            document.save(str(path))
        elif name.endswith(".pdf"):
            path.write_bytes(pdf_bytes(text))
        else:
            path.write_text(text, encoding="utf-8")


def index_ask_status_verify(docs: Path) -> None:
    built = json.loads(docqa("index", str(docs), "--json"))
    check(built["files_indexed"] == len(FILES), f"indexed {built['files_indexed']} files: {built}")
    check(built["files_skipped"] == [], f"skipped: {built['files_skipped']}")
    check(sorted(built["changes"]["added"]) == sorted(FILES), f"added: {built['changes']}")
    check(built["published"] is True, "the index was not published")

    for name, (_, question) in FILES.items():
        results = json.loads(docqa("ask", question, "--docs", str(docs), "-k", "3", "--json"))
        check(results, f"no answer to {question!r}")
        top = results[0]
        check(top["source"] == name, f"{question!r} cites {top['source']}, not {name}")
        check(top["citation"].startswith(name), f"citation {top['citation']!r}")
        if name.endswith(".pdf"):
            check(top["page"] == 1, f"the pdf answer names page {top['page']}")

    status = json.loads(docqa("status", "--docs", str(docs), "--json"))
    check(status["files"] == len(FILES), f"status counts {status['files']} files")
    check(status["passages"] >= len(FILES), f"status counts {status['passages']} passages")
    check(Path(status["docs_root"]) == docs.resolve(), f"docs_root {status['docs_root']}")
    check(status["files_skipped"] == [], f"status skipped {status['files_skipped']}")

    verified = docqa("verify", "--docs", str(docs))
    check(verified.strip().endswith("ok"), f"verify said:\n{verified}")


def serve_the_guide() -> None:
    """``docqa serve`` with no --docs serves the guide shipped in the wheel (qa/docs)."""
    from gradio_client import Client

    guide = VENV.glob("lib/python*/site-packages/qa/docs")
    folder = next(guide, None)
    check(folder is not None and (folder / "index.md").is_file(), "the wheel holds no guide")
    assert folder is not None
    pages = {p.name for p in folder.glob("*.md")}
    command = [str(DOCQA), "serve", "--host", "127.0.0.1", "--port", "0"]
    child = subprocess.Popen(
        command, env=env(), cwd=WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read(stream: object, tag: str) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(f"{tag}{line}")
        lines.put(None)

    threading.Thread(target=read, args=(child.stdout, "out:"), daemon=True).start()
    threading.Thread(target=read, args=(child.stderr, "err:"), daemon=True).start()
    started, url, seen, ended = time.monotonic(), None, [], 0
    try:
        while url is None and time.monotonic() - started < SERVE_TIMEOUT and ended < 2:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                ended += 1
                continue
            seen.append(line)
            if line.startswith("out:docqa: serving on "):
                url = line.split()[3]
        check(url, "docqa serve did not start:\n" + "".join(seen[-40:]))
        print(f"smoke: docqa serve up at {url} ({time.monotonic() - started:.1f} s)")
        building = next((s for s in seen if "bringing the index of" in s), "")
        check(str(folder) in building, f"serve did not index the installed guide: {building!r}")
        client = Client(url, verbose=False)
        items = client.predict("how do I install docqa", 3, api_name="/retrieve")
        client.close()
        check(items, "the guide gave no answer")
        sources = [item["source"] for item in items]
        check(set(sources) <= pages, f"answers cite {sources}, not guide pages {sorted(pages)}")
        check("install.md" in sources, f"'how do I install docqa' cites {sources}")
        check(items[0]["citation"].startswith(items[0]["source"]), "citation")
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
        check(code == 0, f"docqa serve exited {code} on SIGTERM")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def main() -> None:
    started = time.monotonic()
    assert_installed()
    docs = WORK / "mixed docs"  # a space in the name, as users' folders have
    make_folder(docs)
    index_ask_status_verify(docs)
    serve_the_guide()
    print(f"smoke: ok ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
