"""The Redis ACD store: queues and agent presence shared by any number of worker processes or machines.

Needs the ``redis`` extra (``pip install 'receptionist[redis]'``).
"""

from receptionist.acd.redis_store.store import RedisStore

__all__ = ["RedisStore"]
