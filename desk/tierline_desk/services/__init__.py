"""Business logic that is more than a query: ownership, return window, queue, ids, audit."""
