"""FIX session layer (initiator) and the drop-copy gateway that publishes to a stream.

Entry points: `DropCopyGateway(config, sink).run()`; `FixSession` is the I/O-free state machine,
`SequenceStore` persists sequence numbers. Bytes are framed by recon.fix.framing.StreamFramer, the
same framer (and field split) as the FIX parser.
"""

from recon.fixsession.config import SessionConfig
from recon.fixsession.gateway import DropCopyGateway, Sink
from recon.fixsession.session import AppMessage, FixSession
from recon.fixsession.store import SequenceStore, store_path

__all__ = [
    "AppMessage",
    "DropCopyGateway",
    "FixSession",
    "SequenceStore",
    "SessionConfig",
    "Sink",
    "store_path",
]
