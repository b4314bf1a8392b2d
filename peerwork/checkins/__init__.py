"""Check-ins, crisis plans, skill cards and resources.

Check-ins are scheduled when a conversation ends (`peerwork.conversations`
calls `schedule.schedule_followup`); the texter's answers are read by
`peerwork.texter.checkin_answers`.

May import: the SMS channel, hours and the ground below it. Never
conversations or the texter's side (they import this package). Its web pages
(`checkins.routes`, a peer's page) sit with the people and may import peers.
"""
