"""The SMS channel: texts (and checks on a program's rewording), segments, outbox, sender, delivery status, transport, throttle.

It sends what the layers above queue and reports what happened (a send that
failed because the recipient opted out, a status callback naming an opt-out);
it never calls up into the dialog. The texter's side is `peerwork.texter`.

May import: models, queue, privacy, clock, config and the other ground modules.
"""
