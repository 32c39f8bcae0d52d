"""A real-time collaborative mindmap on Django Channels."""
