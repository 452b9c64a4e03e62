"""chatroom: a real-time chat system that speaks IRC."""

__version__ = "0.1.0"
