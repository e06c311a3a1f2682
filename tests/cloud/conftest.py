"""Real object-store emulators on loopback: moto's S3 server and Azurite's blob service.

Both start once per test session. Azurite is installed by ``scripts/services/azurite.sh``
(``make test`` runs it); readiness is read from its own start-up message, never waited for.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).parents[2]
AZURITE = REPO / ".services" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's documented development account; it exists only inside the emulator.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass(frozen=True)
class Store:
    """A bucket or container on an emulator, with the credentials to reach it."""

    url: str
    credentials: dict[str, Any]

    def path(self, name: str) -> str:
        """A fresh URL under the store, unique to the calling test."""
        return f"{self.url}/{uuid.uuid4().hex}/{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_store() -> Iterator[Store]:
    """A bucket on moto's S3 server, reached through s3fs."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {
        "key": "testing",
        "secret": "testing-secret",
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="datamill-tests")
    try:
        yield Store("s3://datamill-tests", credentials)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def azure_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A container on Azurite's blob service, reached through adlfs."""
    if not AZURITE.exists():
        pytest.fail("Azurite is not installed: run scripts/services/azurite.sh (make test does).")
    port = _free_port()
    data = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(data),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
            "--disableTelemetry",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_UPDATE_NOTIFIER": "1"},
    )
    try:
        _await_line(process, "successfully listens", timeout=60)
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
        credentials = {"connection_string": connection}
        import adlfs

        adlfs.AzureBlobFileSystem(**credentials, skip_instance_cache=True).mkdir("tests")
        yield Store("abfs://tests", credentials)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _await_line(process: subprocess.Popen[bytes], text: str, timeout: float) -> None:
    """Read the process's output until a line contains ``text``; fail on exit or timeout."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline().decode(errors="replace")
            if not line:
                break
            seen.append(line)
            if text in line:
                _drain(process.stdout)
                return
    raise RuntimeError(f"Azurite did not start: {''.join(seen)[-2000:]}")


def _drain(stream: IO[bytes]) -> None:
    """Keep reading a child's output in the background so that it never blocks on a full pipe."""
    threading.Thread(target=stream.read, name="azurite-output", daemon=True).start()


@pytest.fixture(params=["s3", "azure"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each cloud test runs on both emulators."""
    fixture = "s3_store" if request.param == "s3" else "azure_store"
    value: Store = request.getfixturevalue(fixture)
    return value
