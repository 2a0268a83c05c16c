"""The activity service: notes, calls, meetings, tasks and calendar entries logged on customers (SPEC §5)."""
