"""A kinesalite server (npm package in node_modules) on a free 127.0.0.1 port.

kinesalite's own CLI listens on every interface, so the fixture loads the same module with node
and binds it to 127.0.0.1; the server exits by itself once its parent process is gone. Streams become ACTIVE after 50 ms (instead of 500) to keep tests quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import boto3

from tests.support import REPO
from tests.support.servers import free_port, wait_for_port, wait_until

_SCRIPT = """
const kinesalite = require(process.argv[1]);
const server = kinesalite({createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 50});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
// Exit when the test process is gone, even if it crashed before its teardown ran.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
"""


class Kinesalite:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Kinesalite:
        node = shutil.which("node")
        module = REPO / "node_modules" / "kinesalite"
        if node is None or not module.exists():
            raise RuntimeError("kinesalite needs node and `npm install` (node_modules/kinesalite)")
        log_path = self.workdir / "kinesalite.log"
        log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [node, "-e", _SCRIPT, str(module), str(self.port)], stdout=log, stderr=log
        )
        wait_for_port(self.port, proc=self.proc, log=log_path, timeout=15, name="kinesalite")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)

    @staticmethod
    def aws_env() -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}

    def client(self):
        return boto3.client(
            "kinesis",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def create_stream(self, shards: int, name: str | None = None) -> str:
        name = name or f"s-{uuid.uuid4().hex[:10]}"
        client = self.client()
        client.create_stream(StreamName=name, ShardCount=shards)
        self.wait_active(name)
        return name

    def wait_active(self, name: str, timeout: float = 10) -> None:
        client = self.client()
        wait_until(
            lambda: client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            == "ACTIVE", timeout, f"stream {name} ACTIVE", interval=0.03)


if __name__ == "__main__":  # manual check: python tests/support/kinesalite.py
    k = Kinesalite(Path(os.environ.get("TMPDIR", "/tmp"))).start()
    print(k.endpoint, k.create_stream(2))
    k.stop()
