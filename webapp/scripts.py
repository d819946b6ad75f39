"""The page's few scripts: citation clicks, Copy, Export, input hand-off and scrolling.

Kept as strings for Gradio's ``js=`` and ``js_on_load=`` hooks. None of them reads document
text as anything but text: copied and exported text comes from ``data-`` attributes, which
the browser decodes back to the original characters.
"""

from __future__ import annotations

__all__ = [
    "ANSWERED",
    "BUTTONS",
    "CHAT_ON_LOAD",
    "SCROLL_TO_HIT",
    "SEND",
    "SHOW_SOURCE",
]

# Copy and Export buttons anywhere inside ``element`` (chat replies, the source panel).
BUTTONS = """
element.addEventListener('click', (event) => {
  const copy = event.target.closest('.docqa-copy');
  if (copy) {
    const text = copy.dataset.copy || '';
    const done = () => { const was = copy.textContent; copy.textContent = 'Copied';
                         setTimeout(() => { copy.textContent = was; }, 1200); };
    const fallback = () => { const area = document.createElement('textarea'); area.value = text;
      area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove(); done(); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
    return;
  }
  const exp = event.target.closest('.docqa-export');
  if (exp) {
    const blob = new Blob([exp.dataset.export || ''], {type: 'text/markdown;charset=utf-8'});
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = exp.dataset.filename || 'docqa-answer.md';
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }
});
"""

# The chat: a citation click asks the server to open that passage in the source panel.
CHAT_ON_LOAD = (
    BUTTONS
    + """
element.addEventListener('click', (event) => {
  const cite = event.target.closest('.docqa-cite');
  if (cite) {
    element.querySelectorAll('.docqa-cite.docqa-open').forEach((b) => b.classList.remove('docqa-open'));
    cite.classList.add('docqa-open');
    trigger('click', {turn: Number(cite.dataset.turn), rank: Number(cite.dataset.rank)});
  }
});
"""
)

# Enter in the question box: the question moves to the hidden "sent" box and the box clears at
# once, on the client, so keys typed right after Enter stay in the box for the next question.
# A question sent while another is being answered waits in the box and goes as soon as the
# reply arrives (see ANSWERED); an empty box sends nothing.
SEND = """
(question) => {
  if (!question || !question.trim()) { return [question || '', '']; }
  if (window.docqaBusy) { window.docqaQueued = true; return [question, '']; }
  window.docqaBusy = true;
  return ['', question];
}
"""

# After a reply: the new reply's start in view, and a question that waited sent.
ANSWERED = """
() => {
  window.docqaBusy = false;
  if (window.docqaQueued) {  // a question sent meanwhile: send it now
    window.docqaQueued = false;
    const send = document.querySelector('#docqa-question .submit-button');
    if (send) { setTimeout(() => send.click(), 0); }
  }
  const turns = document.querySelectorAll('#docqa-chat .docqa-turn');
  const last = turns[turns.length - 1];
  const box = last && last.closest('.docqa-chat');
  if (!box) { return; }
  if (box.scrollHeight > box.clientHeight + 1) {
    box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top;
  } else {
    last.scrollIntoView({block: 'start', behavior: 'instant'});  // narrow screens: the page scrolls
  }
}
"""

# After the source panel changed: the marked passage in view.
SCROLL_TO_HIT = """
() => {
  const hit = document.querySelector('#docqa-source #docqa-hit, #docqa-source .docqa-hit');
  const box = hit && hit.closest('.docqa-body');
  if (box) {
    const offset = hit.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - Math.max(0, (box.clientHeight - hit.offsetHeight) / 3);
  }
}
"""

# After a citation click: the source panel in view when it is off screen (below the chat on a
# narrow screen), then the marked passage in view inside it.
SHOW_SOURCE = (
    """
() => {
  const panel = document.querySelector('#docqa-source');
  if (panel) {
    const top = panel.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.8) {
      panel.scrollIntoView({block: 'start', behavior: 'instant'});
    }
  }
  ("""
    + SCROLL_TO_HIT.strip()
    + """)();
}
"""
)
