"""runner.run_suites with a fake invoke: sessions, memory scoping, repeat and pass rate,
parallelism, errors, tool-selection accounting."""

from __future__ import annotations

import threading
import textwrap

import pytest

from agentctl.errors import AwsError, UsageError
from agentctl.eval.runner import TurnRequest, preset_table, run_suites
from agentctl.eval.suite import RocPreset, load_suite

from .fakes import call, turn

SUITE = """\
suite: s
cases:
  - name: status
    memoryId: user-1
    turns:
      - input: Where is order A-482?
        expect:
          toolCalls: {calls: [{actionGroup: OrderTools, function: get_order_status,
                               parameters: {order_id: A-482}}]}
      - input: thanks
        endSession: true
      - input: hello again
        newSession: true
  - name: flaky
    turns:
      - input: flip a coin
        expect: {answer: {contains: heads}}
"""


def suite(tmp_path, text=SUITE):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(text))
    return load_suite(p)


class Fake:
    def __init__(self):
        self.requests: list[TurnRequest] = []
        self.lock = threading.Lock()
        self.coin = 0

    def __call__(self, req: TurnRequest):
        with self.lock:
            self.requests.append(req)
            if req.text == "flip a coin":
                self.coin += 1
                return turn("heads" if self.coin % 2 else "tails")
        if req.text.startswith("Where"):
            return turn("A-482 shipped", calls=(call("OrderTools", "get_order_status",
                                                     order_id="A-482"),))
        return turn("hi")


def test_turns_share_a_session_until_a_new_one_and_memory_is_scoped(tmp_path):
    fake = Fake()
    (run,) = run_suites([suite(tmp_path)], fake, run_id="abcdef0123456789", parallel=1)
    status = [r for r in fake.requests if r.text != "flip a coin"]
    assert status[0].session_id == status[1].session_id != status[2].session_id
    assert status[1].end_session and not status[0].end_session
    # every turn of the case: the same memory id, scoped to run and attempt
    assert {r.memory_id for r in status} == {"user-1.abcdef01.1"}
    sid = status[0].session_id
    assert sid.startswith("eval-abcdef012345-") and len(sid) <= 100
    assert run.cases[0].passed and run.tool_selection == (1, 1)


def test_repeat_and_pass_rate_threshold(tmp_path):
    s = suite(tmp_path)
    (run,) = run_suites([s], Fake(), run_id="r" * 32, repeat=4, parallel=1, threshold=1.0)
    flaky = run.cases[1]
    assert (len(flaky.attempts), flaky.passed_attempts) == (4, 2)
    assert run.attempts == 8 and run.passed_attempts == 6
    assert run.pass_rate == 0.75 and not run.passed
    (run,) = run_suites([s], Fake(), run_id="r" * 32, repeat=4, parallel=1, threshold=0.75)
    assert run.passed
    # attempts get their own sessions and memory ids
    fake = Fake()
    run_suites([s], fake, run_id="r" * 32, repeat=2, parallel=1)
    first_turns = [r for r in fake.requests if r.text.startswith("Where")]
    assert len({r.session_id for r in first_turns}) == 2
    assert len({r.memory_id for r in first_turns}) == 2


def test_parallel_runs_every_job_once(tmp_path):
    fake = Fake()
    s = suite(tmp_path)
    (run,) = run_suites([s], fake, run_id="p" * 32, repeat=3, parallel=4)
    assert len(fake.requests) == 3 * 3 + 3
    assert [len(c.attempts) for c in run.cases] == [3, 3]
    assert [a.attempt for a in run.cases[0].attempts] == [1, 2, 3]


def test_a_turn_that_cannot_run_fails_the_attempt_and_stops_the_case(tmp_path):
    calls = []

    def invoke(req):
        calls.append(req.text)
        raise AwsError("InvokeAgent", "ThrottlingException", "slow down")

    (run,) = run_suites([suite(tmp_path)], invoke, run_id="e" * 32, parallel=1)
    a = run.cases[0].attempts[0]
    assert not a.passed and "ThrottlingException" in a.error and "turn 1" in a.error
    assert calls.count("thanks") == 0


@pytest.mark.parametrize("kw,msg", [({"repeat": 0}, "--repeat"), ({"parallel": 0}, "--parallel"),
                                    ({"parallel": 99}, "--parallel"),
                                    ({"threshold": 1.5}, "--pass-rate")])
def test_bad_run_settings_are_usage_errors(tmp_path, kw, msg):
    with pytest.raises(UsageError, match=msg):
        run_suites([suite(tmp_path)], Fake(), run_id="x" * 32, **kw)


def test_preset_table_keys_follow_presetresults():
    table = preset_table([
        RocPreset("ClientCalendar", "free at 9", function="open_calendar"),
        RocPreset("OrderApi", "{}", api_path="/orders/{order_id}/eta", http_method="get",
                  response_state="FAILURE", http_status_code=500)])
    assert table == {"ClientCalendar.open_calendar": {"body": "free at 9"},
                     "OrderApi GET /orders/{order_id}/eta": {
                         "body": "{}", "responseState": "FAILURE", "httpStatusCode": 500}}
