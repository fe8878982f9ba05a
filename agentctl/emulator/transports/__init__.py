"""How requests reach the emulator: bytes in, bytes out, no Bedrock semantics.

- ``wire``: REST-JSON driven by botocore's service models (routing, request parsing, response,
  error and event-stream payload serialization);
- ``inprocess``: a botocore ``before-send`` hook, so a real boto3 client is answered in-process;
- ``server``: a loopback HTTP server (``agentctl emulator serve``).

Both the hook and the server end in ``Emulator.handle_http`` (``agentctl.emulator.core``), which
routes with ``wire`` and hands parsed parameters to the control plane or the runtime.

Must not: import the control plane, the runtime, the store or the fault injector
(``tests/test_import_contract.py`` checks it): what an operation means is decided there, never
here. Importing this package imports nothing else (the CLI's ``--help`` stays fast).
"""
