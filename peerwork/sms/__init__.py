"""SMS: webhooks, texter dialog, keywords, transports, segments, outbox."""
