"""The chat screen's style sheet (passed to the server with the Blocks)."""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
.docqa-hidden { display: none !important; }
.docqa-title { margin: 0; font-size: 1.4em; }
.docqa-status { font-size: 0.92em; }
.docqa-chat { max-height: 62vh; min-height: 14em; overflow-y: auto; position: relative;
  padding: 0.4em 0.6em; border: 1px solid var(--border-color-primary); border-radius: 8px; }
.docqa-welcome { color: var(--body-text-color-subdued); }
.docqa-turn { margin: 0.4em 0 1.2em 0; }
.docqa-q { display: flex; gap: 0.6em; align-items: baseline; font-weight: 600; margin-bottom: 0.5em;
  padding: 0.4em 0.6em; border-radius: 8px; background: var(--background-fill-secondary); }
.docqa-who { font-size: 0.8em; color: var(--body-text-color-subdued); font-weight: 400; }
.docqa-q-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.docqa-answer { padding: 0.5em 0.7em; border-left: 4px solid #2f7d32; margin-bottom: 0.6em;
  background: rgba(47, 125, 50, 0.07); }
.docqa-label { font-weight: 700; margin-right: 0.3em; }
.docqa-answer-text { overflow-wrap: anywhere; }
.docqa-weak { padding: 0.5em 0.7em; border-left: 4px solid #b36b00; margin-bottom: 0.6em;
  background: rgba(179, 107, 0, 0.08); color: #8a5200; font-weight: 600; }
.docqa-notice { color: #8a5200; white-space: pre-wrap; }
.docqa-passages { padding-left: 0; list-style: none; margin: 0; }
.docqa-passage { margin: 0 0 0.7em 0; }
.docqa-meta { font-size: 0.9em; }
.docqa-score, .docqa-also { color: var(--body-text-color-subdued); font-size: 0.9em; }
.docqa-stale { color: #b36b00; }
.docqa-text { margin: 0.2em 0 0 0; padding: 0.2em 0.7em; border-left: 3px solid var(--border-color-primary);
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.93em; }
.docqa-chat mark, .docqa-source mark { background: #fff1a8; color: inherit; padding: 0 1px; }
.docqa-cite { background: none; border: none; padding: 0; margin: 0; cursor: pointer; text-align: left;
  color: var(--link-text-color, #1a5fb4); text-decoration: underline; font: inherit; font-weight: 600; }
.docqa-cite:hover, .docqa-cite:focus-visible { color: var(--link-text-color-hover, #0b3d91); }
.docqa-cite.docqa-open { background: rgba(26, 95, 180, 0.1); }
.docqa-more > summary { cursor: pointer; color: var(--body-text-color-subdued); margin-bottom: 0.5em; }
.docqa-tools { display: flex; gap: 0.5em; margin-top: 0.3em; }
.docqa-copy, .docqa-export { font-size: 0.82em; padding: 0.15em 0.6em; cursor: pointer; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
  color: var(--body-text-color); }
.docqa-source-head { display: flex; gap: 0.6em; align-items: baseline; justify-content: space-between;
  font-weight: 600; margin-bottom: 0.4em; overflow-wrap: anywhere; }
.docqa-body { max-height: 58vh; overflow-y: auto; border: 1px solid var(--border-color-primary);
  border-radius: 8px; padding: 0.5em 0.7em; margin: 0; }
pre.docqa-file { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.88em; }
.docqa-md .docqa-hit { background: #fff6c4; outline: 2px solid #e6c200; border-radius: 3px; }
.docqa-md h1, .docqa-md h2, .docqa-md h3, .docqa-md h4, .docqa-md h5, .docqa-md h6 {
  font-weight: 700; margin: 0.7em 0 0.3em 0; line-height: 1.25; }
.docqa-md h1 { font-size: 1.4em; } .docqa-md h2 { font-size: 1.25em; } .docqa-md h3 { font-size: 1.1em; }
.docqa-md p { margin: 0.45em 0; }
.docqa-md ul { list-style: disc; padding-left: 1.5em; } .docqa-md ol { list-style: decimal; padding-left: 1.5em; }
.docqa-md code { background: var(--background-fill-secondary); padding: 0 3px; border-radius: 3px; font-size: 0.9em; }
.docqa-md pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--background-fill-secondary);
  padding: 0.4em 0.6em; border-radius: 6px; }
.docqa-md pre code { padding: 0; background: none; }
.docqa-md blockquote { border-left: 3px solid var(--border-color-primary); padding-left: 0.7em; margin: 0.4em 0; }
.docqa-md table { border-collapse: collapse; } .docqa-md th, .docqa-md td { border: 1px solid var(--border-color-primary); padding: 0.2em 0.4em; }
.docqa-md a { color: var(--link-text-color, #1a5fb4); text-decoration: underline; }
.docqa-warn { color: #8a5200; margin-bottom: 0.4em; }
.docqa-skipped { font-size: 0.9em; }
.docqa-muted { color: var(--body-text-color-subdued); }
@media (max-width: 700px) { .docqa-top { flex-wrap: wrap; } #docqa-status { flex: 1 1 100%; order: 3; }
  .docqa-title { font-size: 1.1em; } }
@media (max-width: 700px) { .docqa-chat { max-height: none; } .docqa-body { max-height: 50vh; } }
"""
