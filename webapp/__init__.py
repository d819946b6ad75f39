"""docqa's chat app, server side: rendering (document text shown, never interpreted), the
source viewer (text, rendered Markdown, PDF pages), uploads, and the guarded HTTP server.

Nothing heavy happens at import: Gradio, uvicorn and pypdfium2 load when the app is built.
"""
