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
    "KEYS",
    "NEW_CHAT",
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

# Enter in the question box takes the question and empties the box at once (see SEND).
KEYS = """
if (!window.docqaKeys) {
  window.docqaKeys = true;
  document.addEventListener('keydown', (event) => {
    const area = event.target;
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) { return; }
    if (!(area instanceof HTMLTextAreaElement) || !area.closest('#docqa-question')) { return; }
    const docqa = window.docqa || (window.docqa = {busy: 0, turns: 0, queued: false, clear: false});
    const busy = docqa.busy && Date.now() - docqa.busy < 120000;
    if (busy || !area.value.trim()) { return; }
    docqa.taken = area.value;
    area.value = '';
    area.dispatchEvent(new Event('input', {bubbles: true}));
  }, true);
}
"""

# The chat: a citation click asks the server to open that passage in the source panel.
CHAT_ON_LOAD = (
    BUTTONS
    + KEYS
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

# The question box and the one reply on its way. ``window.docqa.busy`` holds when the pending
# question was sent (0: none; a wait older than two minutes is over); ``turns`` the chat's
# turn count then. A reply counts as
# arrived when the count grew, so a chained step of a skipped send never ends the wait.
# Waiting actions (a question sent meanwhile, New chat) run once the reply is in.
_STATE = """
const docqa = window.docqa || (window.docqa = {busy: 0, turns: 0, queued: false, clear: false});
const busy = docqa.busy && Date.now() - docqa.busy < 120000;
const click = (selector) => { const el = document.querySelector(selector);
                              if (el) { setTimeout(() => el.click(), 0); } return !!el; };
"""

# Enter in the question box: the question is taken and the box emptied in the keydown itself
# (KEYS), before the next key can arrive, so keys typed right after Enter stay in the box for
# the next question; SEND then hands the question to the hidden "sent" box and leaves the box
# as it now is. From the send button the box is emptied here. A question sent while another is
# being answered stays in the box and goes when the reply arrives; an empty box sends nothing.
SEND = (
    "(question) => {"
    + _STATE
    + """
  const area = document.querySelector('#docqa-question textarea');
  const typed = docqa.taken;
  docqa.taken = null;
  const q = typed != null ? typed : question;
  const now = area ? area.value : '';
  if (!q || !q.trim()) { return [now, '']; }
  if (busy) { docqa.queued = true; return [now, '']; }
  docqa.busy = Date.now();
  docqa.turns = document.querySelectorAll('#docqa-chat .docqa-turn').length;
  return [typed != null ? now : '', q];
}
"""
)

# After the answer step, with the chat's turn count: when the awaited reply is in, its start
# in view, then a New chat or a question that waited.
ANSWERED = (
    "(count) => {"
    + _STATE
    + """
  if (!busy || count <= docqa.turns) { return; }
  docqa.busy = 0;
  const turns = document.querySelectorAll('#docqa-chat .docqa-turn');
  const last = turns[turns.length - 1];
  const box = last && last.closest('.docqa-chat');
  if (box && box.scrollHeight > box.clientHeight + 1) {
    box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top;
  } else if (last) {
    last.scrollIntoView({block: 'start', behavior: 'instant'});  // narrow screens: the page scrolls
  }
  if (docqa.clear) { docqa.clear = false; click('#docqa-new-chat'); return; }
  if (docqa.queued) { docqa.queued = false; click('#docqa-question .submit-button'); }
}
"""
)

# The answer step failed (Gradio shows its error): stop waiting.
FAILED = "() => {" + _STATE + "  docqa.busy = 0; docqa.clear = false; }"

# New chat: now, or (a reply on its way) once the reply has arrived.
NEW_CHAT = (
    "() => {"
    + _STATE
    + """
  if (busy) { docqa.clear = true; return ['later']; }
  return ['now'];
}
"""
)

# After New chat cleared the page: a question sent meanwhile goes now.
CLEARED = (
    "() => {"
    + _STATE
    + """
  if (!busy && !docqa.clear && docqa.queued) {
    docqa.queued = false; click('#docqa-question .submit-button');
  }
}
"""
)

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
