"""The S3 object store behind ``backend: s3`` (``agentctl.locks.ObjectBackend``): four
conditional object operations and nothing else.

S3 answers a conditional write that lost with 412 PreconditionFailed (``If-None-Match: *`` on an
existing key, ``If-Match`` on another ETag) and, when two conditional writes to one key overlap,
with 409 ConditionalRequestConflict; both mean "the condition did not hold, read again". The
endpoint follows botocore's own configuration (``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``),
which is how the tests point it at moto's S3 server.

Must not: decide anything about locks or records (``agentctl.locks`` does), log bodies or keys'
contents.
"""

from __future__ import annotations

from typing import Any

from agentctl.errors import AgentctlError

_LOST = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Store:
    def __init__(self, bucket: str, *, region: str | None, profile: str | None = None,
                 client: Any = None):
        self.bucket = bucket
        if client is None:
            import boto3
            import botocore.exceptions

            try:
                session = boto3.Session(profile_name=profile or None, region_name=region)
            except botocore.exceptions.ProfileNotFound as e:
                raise AgentctlError(f"state backend: {e}",
                                    hint="check `profile:` in agentctl.yaml and ~/.aws/config"
                                    ) from None
            client = session.client("s3", region_name=region)
        self.client = client

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _fail(self, e: Any, operation: str, key: str) -> AgentctlError:
        err = e.response.get("Error", {})
        code = str(err.get("Code") or e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
        hint = ("the role running agentctl needs s3:GetObject, s3:PutObject and s3:DeleteObject "
                "on the state prefix and s3:ListBucket on the bucket (`agentctl iam-policy` "
                "prints them)") if code in ("AccessDenied", "403") else (
                "check `backend.bucket` in agentctl.yaml" if code == "NoSuchBucket" else
                "the state backend is unreachable; nothing was changed")
        return AgentctlError(f"state backend {operation} failed: {code}: "
                             f"{err.get('Message') or ''}".rstrip(": "),
                             where=self.describe(key), hint=hint)

    def _call(self, operation: str, key: str, **kw: Any) -> tuple[str, Any]:
        import botocore.exceptions

        try:
            return "ok", getattr(self.client, operation)(Bucket=self.bucket, Key=key, **kw)
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            code = str(err.get("Code"))
            status = str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
            if code in _LOST or status in ("412", "409"):
                return "lost", None
            if code in _MISSING or status == "404":
                return "missing", None
            raise self._fail(e, operation, key) from None
        except (botocore.exceptions.BotoCoreError) as e:
            raise AgentctlError(f"state backend {operation} failed: {e}",
                                where=self.describe(key),
                                hint="check the network, the bucket's region and credentials; "
                                     "nothing was changed") from None

    def get(self, key: str) -> tuple[bytes, str] | None:
        how, resp = self._call("get_object", key)
        if how != "ok":
            return None
        return resp["Body"].read(), resp["ETag"]

    def put_if_absent(self, key: str, body: bytes) -> str | None:
        how, resp = self._call("put_object", key, Body=body, IfNoneMatch="*",
                               ContentType="application/json")
        return resp["ETag"] if how == "ok" else None

    def put_if_match(self, key: str, body: bytes, etag: str) -> str | None:
        how, resp = self._call("put_object", key, Body=body, IfMatch=etag,
                               ContentType="application/json")
        return resp["ETag"] if how == "ok" else None

    def delete_if_match(self, key: str, etag: str) -> bool:
        # DeleteObject with If-Match (S3, since 2024-11): releases only the object we wrote.
        how, _ = self._call("delete_object", key, IfMatch=etag)
        return how == "ok"
