"""FIX session layer (initiator) and the drop-copy gateway that publishes to a stream.

Entry points: `DropCopyGateway(config, sink).run()`; `FixSession` is the I/O-free state machine,
`Framer` splits a byte stream into verified messages, `SequenceStore` persists sequence numbers.
"""

from recon.fixsession.config import SessionConfig
from recon.fixsession.framing import Framer
from recon.fixsession.gateway import DropCopyGateway, Sink
from recon.fixsession.session import AppMessage, FixSession
from recon.fixsession.store import SequenceStore, store_path

__all__ = [
    "AppMessage",
    "DropCopyGateway",
    "FixSession",
    "Framer",
    "SequenceStore",
    "SessionConfig",
    "Sink",
    "store_path",
]
