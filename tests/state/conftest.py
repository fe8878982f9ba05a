"""The S3 state backend's fixtures: moto's S3 server on 127.0.0.1 (a real HTTP endpoint, so the
code under test talks to it through boto3 exactly as to S3, and a second process can too), or
real S3 behind the opt-in ``aws`` marker (AGENTCTL_AWS_TESTS=1 and
AGENTCTL_AWS_TEST_STATE_BUCKET naming a bucket the credentials may write; each test uses its own
key prefix and removes it).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

BUCKET = "agentctl-state-test"


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class S3:
    bucket: str
    prefix: str
    env: dict
    region: str = "us-east-1"

    def client(self):
        import boto3

        return boto3.client("s3", region_name=self.region)


@pytest.fixture(params=["moto", pytest.param("aws", marks=pytest.mark.aws)])
def s3(request, monkeypatch):
    prefix = f"t/{uuid.uuid4().hex[:12]}"
    if request.param == "moto":
        endpoint = request.getfixturevalue("moto_endpoint")
        env = {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        bucket = BUCKET
        s = S3(bucket, prefix, env)
        try:
            s.client().create_bucket(Bucket=bucket)
        except Exception as e:  # noqa: BLE001 - already created by an earlier test
            if "BucketAlready" not in type(e).__name__ and "BucketAlready" not in str(e):
                raise
        yield s
        return
    bucket = os.environ.get("AGENTCTL_AWS_TEST_STATE_BUCKET")
    if not bucket:
        pytest.skip("set AGENTCTL_AWS_TEST_STATE_BUCKET to a writable bucket")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    s = S3(bucket, prefix, {k: v for k, v in os.environ.items() if k.startswith("AWS_")}, region)
    yield s
    c = s.client()
    for obj in c.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        c.delete_object(Bucket=bucket, Key=obj["Key"])
