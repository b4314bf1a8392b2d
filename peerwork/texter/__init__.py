"""The texter's side: one phone number, plain SMS, no login.

The Twilio webhooks (`routes.py`: /sms/inbound, /sms/status), storing and
answering an inbound text (`inbound.py`), the dialog state machine
(`dialog.py`, `turn.py`), keywords (`keywords.py`), opting out and back in
(`optout.py`), answers to check-ins (`checkin_answers.py`) and the
development phone (`devphone.py`).

May import: the domain (conversations, matching, checkins, safety), the SMS
channel (peerwork.sms) and the ground below it. Nothing below imports it.
"""
