"""Notifications: messages to customers over email, Web Push and the in-app inbox."""
