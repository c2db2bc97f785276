"""After the call: deliver messages by webhook and email through a persistent outbox.

``payloads.deliveries_for`` decides what to queue when a call is stored; ``outbox.OutboxWorker`` sends
the queued rows (``webhook.WebhookSender``, ``email.EmailSender``) and records each attempt.
"""

from receptionist.notify.outbox import DeliveryOutcome, DeliveryReport, OutboxStore, OutboxWorker, deliver_now
from receptionist.notify.payloads import deliveries_for
from receptionist.notify.result import Sender, SendResult, SendStatus
from receptionist.notify.signing import verify_signature

__all__ = [
    "DeliveryOutcome",
    "DeliveryReport",
    "OutboxStore",
    "OutboxWorker",
    "SendResult",
    "SendStatus",
    "Sender",
    "deliver_now",
    "deliveries_for",
    "verify_signature",
]
