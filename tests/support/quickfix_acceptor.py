"""A real QuickFIX acceptor (quickfix-py wheel) playing the prime broker's drop-copy side.

QuickFIX's SocketAcceptor.stop() segfaults now and then when a Python application is attached,
so the acceptor runs in a child process (AcceptorProcess) and the test calls it through a pipe.
The test drives it: send ExecutionReports / TradeCaptureReports, force a disconnect, refuse logons
for a while (so messages sent meanwhile queue in QuickFIX's FileStore), and inspect what it
received from us (ResendRequests, Heartbeats answering TestRequests).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import quickfix as fix
import quickfix44 as fix44

from tests.support.servers import free_port

SENDER, TARGET = "PRIMEBRK", "FUNDRECON"


def dictionary(name: str = "FIX44.xml") -> Path:
    path = Path(sys.prefix) / "share" / "quickfix" / name
    if not path.exists():
        raise FileNotFoundError(f"QuickFIX dictionary {path} missing (quickfix-py wheel)")
    return path


class BrokerApp(fix.Application):
    def __init__(self) -> None:
        super().__init__()
        self.session_id: fix.SessionID | None = None
        self.logged_on = threading.Event()
        self.refuse_logon = False
        self.admin_in: list[str] = []  # raw admin messages received from the initiator
        self.app_out: list[str] = []  # application messages sent (first sends and resends)
        self.sent: list[str] = []  # every message sent, admin and application, in order

    def onCreate(self, session_id):
        self.session_id = session_id

    def onLogon(self, session_id):
        self.logged_on.set()

    def onLogout(self, session_id):
        self.logged_on.clear()

    def toAdmin(self, message, session_id):
        self.sent.append(message.toString())

    def fromAdmin(self, message, session_id):
        raw = message.toString()
        self.admin_in.append(raw)
        if "\x0135=A\x01" in raw and self.refuse_logon:
            raise fix.RejectLogon("drop copy unavailable (test)")

    def toApp(self, message, session_id):
        self.app_out.append(message.toString())
        self.sent.append(message.toString())

    def fromApp(self, message, session_id):
        pass


class Acceptor:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        settings = fix.SessionSettings()
        defaults = fix.Dictionary()
        for key, value in {
            "ConnectionType": "acceptor",
            "SocketAcceptPort": str(self.port),
            "AllowedRemoteAddresses": "127.0.0.1",
            "FileStorePath": str(workdir / "store"),
            "FileLogPath": str(workdir / "log"),
            "StartTime": "00:00:00",
            "EndTime": "00:00:00",
            "UseDataDictionary": "Y",
            "DataDictionary": str(dictionary()),
            "ResetOnDisconnect": "N",
            "ResetOnLogout": "N",
            "ValidateUserDefinedFields": "N",
        }.items():
            defaults.setString(key, value)
        settings.set(defaults)
        session = fix.Dictionary()
        session.setString("BeginString", "FIX.4.4")
        session.setString("SenderCompID", SENDER)
        session.setString("TargetCompID", TARGET)
        self.sid = fix.SessionID("FIX.4.4", SENDER, TARGET)
        settings.set(self.sid, session)
        self.app = BrokerApp()
        self._acceptor = fix.SocketAcceptor(
            self.app, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(settings)
        )
        self._exec_seq = 0

    def start(self) -> Acceptor:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._acceptor.stop(True)

    # ---- driving ----------------------------------------------------------------------------
    @property
    def session(self) -> fix.Session:
        return fix.Session.lookupSession(self.sid)

    def next_sender_seq(self) -> int:
        return self.session.getExpectedSenderNum()

    def wait_logged_on(self, timeout: float = 10.0) -> None:
        if not self.app.logged_on.wait(timeout):
            raise TimeoutError("initiator did not log on")

    def force_disconnect(self) -> None:
        self.session.disconnect()
        deadline = time.monotonic() + 5
        while self.session.isLoggedOn() and time.monotonic() < deadline:
            time.sleep(0.02)

    def send(self, message: fix.Message) -> None:
        if not fix.Session.sendToTarget(message, self.sid):
            raise RuntimeError("QuickFIX refused to send")

    def execution_report(
        self,
        account: str,
        symbol: str,
        qty: Decimal,
        price: Decimal,
        *,
        exec_type: str = fix.ExecType_TRADE,
        ref_exec_id: str | None = None,
        exec_id: str | None = None,
        side: str = fix.Side_BUY,
    ) -> str:
        """Send one ExecutionReport; returns its ExecID."""
        self._exec_seq += 1
        exec_id = exec_id or f"EX{self._exec_seq:06d}"
        msg = fix44.ExecutionReport()
        for field in (
            fix.OrderID(f"ORD{self._exec_seq:06d}"),
            fix.ExecID(exec_id),
            fix.ExecType(exec_type),
            fix.OrdStatus(fix.OrdStatus_FILLED),
            fix.Side(side),
            fix.StringField(151, "0"),  # LeavesQty
            fix.StringField(14, str(qty)),  # CumQty
            fix.StringField(6, str(price)),  # AvgPx
        ):
            msg.setField(field)
        msg.setField(fix.Account(account))
        msg.setField(fix.Symbol(symbol))
        msg.setField(fix.StringField(32, str(qty)))  # LastQty, exact decimal text
        msg.setField(fix.StringField(31, str(price)))  # LastPx
        msg.setField(fix.TransactTime())
        if ref_exec_id:
            msg.setField(fix.ExecRefID(ref_exec_id))
        self.send(msg)
        return exec_id

    def trade_capture_report(self, account: str, symbol: str, qty: Decimal, price: Decimal, report_id: str) -> str:
        msg = fix44.TradeCaptureReport()
        msg.setField(fix.TradeReportID(report_id))
        msg.setField(fix.PreviouslyReported(False))
        msg.setField(fix.Symbol(symbol))
        msg.setField(fix.StringField(32, str(qty)))
        msg.setField(fix.StringField(31, str(price)))
        msg.setField(fix.TradeDate(time.strftime("%Y%m%d")))
        msg.setField(fix.TransactTime())
        msg.setField(fix.ExecID(report_id))
        side = fix44.TradeCaptureReport.NoSides()
        side.setField(fix.Side(fix.Side_SELL))
        side.setField(fix.OrderID(f"O-{report_id}"))
        side.setField(fix.Account(account))
        msg.addGroup(side)
        self.send(msg)
        return report_id

    def burst(self, count: int, accounts: int = 20) -> float:
        """Send `count` fills as fast as QuickFIX takes them; returns the wall time.time() at the start."""
        started = time.time()
        for i in range(count):
            self.execution_report(f"ACC{i % accounts:03d}", "AAPL", Decimal(100 + i % 7), Decimal("190.25"))
        return started

    def is_logged_on(self) -> bool:
        return bool(self.session.isLoggedOn())

    def admin_in(self) -> list[str]:
        return list(self.app.admin_in)

    def app_out(self) -> list[str]:
        return list(self.app.app_out)

    def sent(self) -> list[str]:
        return list(self.app.sent)

    def set_refuse_logon(self, refuse: bool) -> None:
        self.app.refuse_logon = refuse

    def test_request(self, test_req_id: str) -> None:
        msg = fix44.TestRequest()
        msg.setField(fix.TestReqID(test_req_id))
        self.send(msg)


def _serve(conn, workdir: Path) -> None:
    acceptor = Acceptor(workdir).start()
    conn.send(acceptor.port)
    while True:
        name, args, kwargs = conn.recv()
        if name == "stop":
            conn.send(("ok", None))
            acceptor.stop()
            return
        try:
            conn.send(("ok", getattr(acceptor, name)(*args, **kwargs)))
        except Exception as exc:  # returned to the test, which raises it
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class AcceptorProcess:
    """The Acceptor in a child process; every public Acceptor method is callable on this proxy."""

    def __init__(self, workdir: Path):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, workdir), daemon=True)
        self._proc.start()
        if not self._conn.poll(30):
            raise TimeoutError("QuickFIX acceptor process did not start")
        self.port: int = self._conn.recv()
        self._lock = threading.Lock()

    def _call(self, name: str, *args, **kwargs):
        with self._lock:
            self._conn.send((name, args, kwargs))
            if not self._conn.poll(30):
                raise TimeoutError(f"acceptor did not answer {name}")
            status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._call(name, *args, **kwargs)

    def stop(self) -> None:
        try:
            self._call("stop")
        except (TimeoutError, EOFError, OSError):
            pass
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
