"""Models of capsule."""
