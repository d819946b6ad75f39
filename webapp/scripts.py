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
    "CLEARED",
    "FAILED",
    "INPUT",
    "NEW_CHAT",
    "SCROLL_TO_HIT",
    "SHOW_SOURCE",
]

# Copy and Export buttons anywhere inside ``element`` (chat replies, the source panel).
BUTTONS = """
element.addEventListener('click', (event) => {
  const copy = event.target.closest('.docqa-copy');
  if (copy) {
    const text = copy.dataset.copy || '';
    if (!copy.dataset.label) { copy.dataset.label = copy.textContent; }
    const show = (word) => { copy.textContent = word;
      clearTimeout(copy.docqaTimer);
      copy.docqaTimer = setTimeout(() => { copy.textContent = copy.dataset.label; }, 1200); };
    const done = () => show('Copied');
    const fallback = () => { const area = document.createElement('textarea'); area.value = text;
      area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select();
      const ok = document.execCommand('copy'); area.remove(); show(ok ? 'Copied' : 'Copy failed'); };
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

# Sending a question, all on the page: Enter (without Shift) in the question box, or its send
# button, calls ``docqa.submit``. It takes the box's text and empties the box within the key or
# click event itself, before the next key can arrive, so keys typed right after Enter stay in
# the box for the next question. ``docqa.send`` puts a question in the hidden "sent" box and
# clicks the hidden "go" button, whose event answers it. One question is answered at a time:
# questions sent meanwhile wait in ``docqa.pending`` and go, in order, as each reply arrives
# (ANSWERED); an empty box sends nothing. ``docqa.busy`` is when the awaited question was sent
# (0: none; a wait over two minutes is over), ``docqa.turns`` the chat's turn count then; New
# chat pressed meanwhile waits for the reply (``clear``).
INPUT = """
if (!window.docqa) {
  const docqa = window.docqa = {busy: 0, turns: 0, pending: [], clear: false};
  docqa.isBusy = () => docqa.busy && Date.now() - docqa.busy < 120000;
  const setValue = (area, value) => {
    area.value = value;
    area.dispatchEvent(new Event('input', {bubbles: true}));
  };
  docqa.send = (question) => {
    const sent = document.querySelector('#docqa-sent textarea');
    const go = document.querySelector('#docqa-go');
    if (!sent || !go) { return; }
    docqa.busy = Date.now();
    docqa.turns = document.querySelectorAll('#docqa-chat .docqa-turn').length;
    setValue(sent, question);
    go.click();
  };
  docqa.next = () => {  // the reply is in (or failed): a New chat waiting, else the next question
    if (docqa.isBusy()) { return; }
    if (docqa.clear) {
      docqa.clear = false;
      const button = document.querySelector('#docqa-new-chat');
      if (button) { setTimeout(() => button.click(), 0); return; }
    }
    if (docqa.pending.length) { docqa.send(docqa.pending.shift()); }
  };
  docqa.submit = () => {
    const area = document.querySelector('#docqa-question textarea');
    if (!area || !area.value.trim()) { return; }
    const question = area.value;
    setValue(area, '');
    if (docqa.isBusy() || docqa.clear) { docqa.pending.push(question); } else { docqa.send(question); }
  };
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) { return; }
    if (!event.target.closest || !event.target.closest('#docqa-question textarea')) { return; }
    event.preventDefault();
    event.stopPropagation();
    docqa.submit();
  }, true);
  document.addEventListener('click', (event) => {
    if (!event.target.closest || !event.target.closest('#docqa-question .submit-button')) { return; }
    event.preventDefault();
    event.stopPropagation();
    docqa.submit();
  }, true);
}
"""

# The chat: a citation click asks the server to open that passage in the source panel.
CHAT_ON_LOAD = (
    BUTTONS
    + INPUT
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

# After the answer step, with the chat's turn count: when the awaited reply is in, its start
# in view, then a New chat or a question that waited.
ANSWERED = """
(count) => {
  const docqa = window.docqa;
  if (!docqa || !docqa.isBusy() || count <= docqa.turns) { return; }
  docqa.busy = 0;
  const turns = document.querySelectorAll('#docqa-chat .docqa-turn');
  const last = turns[turns.length - 1];
  const box = last && last.closest('.docqa-chat');
  if (box && box.scrollHeight > box.clientHeight + 1) {
    box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top;
  } else if (last) {
    last.scrollIntoView({block: 'start', behavior: 'instant'});  // narrow screens: the page scrolls
  }
  docqa.next();
}
"""

# The answer step failed (Gradio shows its error): stop waiting, go on with what waits.
FAILED = "() => { const docqa = window.docqa; if (docqa) { docqa.busy = 0; docqa.next(); } }"

# New chat: now, or (a reply on its way) once the reply has arrived.
NEW_CHAT = """
() => {
  const docqa = window.docqa;
  if (docqa && docqa.isBusy()) { docqa.clear = true; return ['later']; }
  return ['now'];
}
"""

# After New chat cleared the page: a question sent meanwhile goes now.
CLEARED = "() => { if (window.docqa) { window.docqa.next(); } }"

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
