"""Campaign templates (Jinja2) rendered into emails and texts: the renderer (templates.py), what a template may
print (context.py), and rendering once per template shape (shapes.py)."""

from outreach.rendering.context import PHASES, message_context, sample_context
from outreach.rendering.templates import REPLIES, Rendered, Renderer, RenderError, template_name

__all__ = [
    "PHASES",
    "REPLIES",
    "RenderError",
    "Rendered",
    "Renderer",
    "message_context",
    "sample_context",
    "template_name",
]
