"""Check-ins, crisis plans, skill cards and resources."""

from peerwork import conversations
from peerwork.checkins.schedule import after_conversation_end

# Registered once, however often this package is imported.
if after_conversation_end not in conversations.AFTER_END_HOOKS:
    conversations.AFTER_END_HOOKS.append(after_conversation_end)
