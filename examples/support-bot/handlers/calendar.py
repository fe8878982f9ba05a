"""The client-side calendar of the support-bot example (return of control).

``ClientCalendar`` has ``executor: {returnControl: true}``: Bedrock does not call a Lambda but
returns the tool call to the caller, which runs it and posts the result back in
``sessionState.returnControlInvocationResults``. agentctl's local target calls this handler for
such calls: it receives the function's parameters as keyword arguments (strings, as Bedrock sends
them) and returns the text that goes back as ``responseBody.TEXT.body``.
"""

from __future__ import annotations

import datetime as dt


def open_calendar(date: str, **_: str) -> str:
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return f"'{date}' is not a date; ask the user for a date as YYYY-MM-DD."
    # A real client would open its calendar UI here; the example answers with the free slots.
    slots = ["09:00-12:00", "13:00-17:00"] if day.weekday() < 5 else []
    if not slots:
        return f"{day.isoformat()} is a {day.strftime('%A')}; no deliveries on weekends."
    return f"The user opened their calendar on {day.isoformat()}; free delivery slots: {', '.join(slots)}."
