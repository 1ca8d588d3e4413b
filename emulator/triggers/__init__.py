"""Asynchronous invocation sources: the queue, S3 notifications, schedules."""
