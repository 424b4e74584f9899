"""Labels in the historical reports: per interval, how many of the conversations closed in it carried
each label, and the customers' average rating of those that were rated.

Labels live on the archived conversations (``fields->>'labels'``, comma-separated ids), not in the
ACD's event log, so these are counted in PostgreSQL from the ``conversations`` table: a conversation
counts once per label in the interval of its ``closed_at`` (a reopened one counts at its last close),
under its queue, work channel and last agent. Its rating (``rating_score``) is the one the customer
gave after that close; the event-based ``satisfaction`` counts a rating when it arrived instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from gateway.history.report_buckets import Grid

# one row per interval, queue, work channel, last agent and label (the interval found in PostgreSQL:
# width_bucket over the grid's starts, which follow the tenant's time zone); index conversations_closed
LABELS = """
SELECT width_bucket(extract(epoch FROM c.closed_at)::float8, $4::float8[]) - 1 AS bucket,
       c.queue, c.work_channel, c.agent_id, l.label, count(*)::int AS closed,
       count(*) FILTER (WHERE c.fields->>'rating_score' IN ('1', '2', '3', '4', '5'))::int AS ratings,
       coalesce(sum((c.fields->>'rating_score')::int)
                FILTER (WHERE c.fields->>'rating_score' IN ('1', '2', '3', '4', '5')), 0)::int AS rating_sum
FROM conversations c
CROSS JOIN LATERAL (
  SELECT DISTINCT btrim(x) AS label FROM unnest(string_to_array(c.fields->>'labels', ',')) AS x) l
WHERE c.tenant = $1 AND c.closed_at >= $2 AND c.closed_at < $3 AND l.label <> ''
GROUP BY 1, 2, 3, 4, 5
"""


@dataclass
class LabelSums:
    """Closed conversations per label, and the ratings among them."""

    closed: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)
    rating_sum: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, closed: int, ratings: int, rating_sum: int) -> None:
        self.closed[label] += closed
        self.ratings[label] += ratings
        self.rating_sum[label] += rating_sum

    def merge(self, other: LabelSums) -> None:
        self.closed.update(other.closed)
        self.ratings.update(other.ratings)
        self.rating_sum.update(other.rating_sum)

    def figures(self) -> dict[str, Any]:
        """``labels`` {id: closed}, ``label_ratings`` {id: rated} and ``label_satisfaction`` {id:
        average 1..5} (only labels with a rating: an average of nothing is not 0)."""
        rated = sorted(k for k, n in self.ratings.items() if n)
        return {
            "labels": {k: n for k, n in sorted(self.closed.items()) if n},
            "label_ratings": {k: self.ratings[k] for k in rated},
            "label_satisfaction": {k: round(self.rating_sum[k] / self.ratings[k], 2) for k in rated},
        }


@dataclass(frozen=True)
class LabelCount:
    """One row of LABELS: closed conversations of one interval, queue, channel and agent with ``label``."""

    bucket: int
    queue: str
    channel: str
    agent: str
    label: str
    closed: int
    ratings: int
    rating_sum: int


async def label_counts(conn: asyncpg.Connection, tenant: str, grid: Grid) -> list[LabelCount]:
    """The labels of ``tenant``'s conversations closed within ``grid``."""
    start, end = datetime.fromtimestamp(grid.start, UTC), datetime.fromtimestamp(grid.end, UTC)
    rows = await conn.fetch(LABELS, tenant, start, end, list(grid.starts))
    return [
        LabelCount(r["bucket"], r["queue"], r["work_channel"], r["agent_id"], r["label"], r["closed"], r["ratings"],
                   r["rating_sum"])
        for r in rows if 0 <= r["bucket"] < len(grid)
    ]
