"""`--concurrency auto`: find how many count requests the API serves at once, and stay there.

Ideas borrowed, and how each is bent to this API (realtime counts take 5-60 s each, and how
long one takes depends on its query, not on the load):

- Netflix concurrency-limits. AIMD: back off x0.9 on a drop, grow only while at least half
  of the slots are in use (so a run's tail, or rows waiting out a retry, do not inflate the
  level). Gradient2 compares a long-term latency with a short-term one (gradient = long /
  short, limit = limit x gradient + queue); we keep that comparison, with medians, but only
  to hold growth (see "latency" below).
- TCP: slow start until the first sign of a limit, then +1 per round trip; CUBIC holds at
  the last ceiling before probing past it, and grows faster and faster once past it (the
  limit went up). (HyStart would leave slow start when latency rises; here a rise only
  pauses it, see "latency".)
- Envoy's adaptive concurrency filter measures minRTT by dropping to a few requests now and
  then. Not done: with 5-60 s answers each probe idles the run for a minute, and the minimum
  of query-dependent latencies is the cheapest query, not an idle server.
- Google SRE client-side throttling compares requests with accepts. We use that ratio to
  choose how hard to back off (most recent answers refused: overloaded, halve), not to fail
  requests locally: for an analyst a row that waits beats a row that fails.

How much each signal is trusted:

- A 429 is authoritative: the server said "too many". Every one backs off multiplicatively,
  at most once per round (a 429 for a request sent before the last decrease echoes a level
  already left). What it teaches depends on the level it was sent at. Above every level
  that has held (a round trip of successes with every slot in use, no refusal between), it
  is the server's parallel limit: the level just below becomes the ceiling, held and probed
  past only once in a while (so a small limit does not cost a 429 every few requests). At a
  level that has held, or under the ceiling, our parallelism does not explain it (a refusal
  at random, load elsewhere): back off, then win the level back quickly; a limit that really
  dropped shows as repeated refusals there, which soon count as a ceiling. (Our count of
  requests in flight is not used for this: answers in transit and threads that send a
  little late make it differ from the server's count by a few, which at small limits is
  everything.)
- Retry-After (only test mode sends it) binds the refused request. It pauses everyone only
  when the server sheds load; on a parallel-limit 429 the lowered level already keeps the
  others under the limit, and pausing them would idle slots the server still offers.
- A timeout (sent, no answer within --timeout) backs off like a 429, without teaching a
  ceiling: a server that queues instead of refusing shows overload that way.
- Latency only ever holds growth; it never backs off. One answer's latency says nothing
  about load here (a 60 s query next to a 5 s one is normal), so single samples are never
  compared with anything. Growth pauses while the median of the last 20 answers exceeds 2x
  the median of the last 100: with this API's spread (5-60 s, about lognormal with sigma
  0.6-0.8) a 20-sample median gets there by chance about once in a thousand answers, and a
  pause costs one answer's growth, whereas backing off on latency would
  slow a run for nothing whenever the sheet reaches a block of heavy queries. A server that
  is really overloaded says so with a 429 (or a timeout), which we trust instead.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from batchcount.net.throttle import Gate, Throttle

START = 10  # API-CONTRACT: "start around 10 and back off" (also TCP's initial window)
BACKOFF = 0.9  # one refusal among accepts: just over the ceiling (Netflix AIMD's ratio)
OVERLOAD_BACKOFF = 0.5  # most recent answers refused: far too high, halve (TCP)
SLOW_START_STEP = 2.0  # growth per answer until the first sign of a limit
RECENT = 20  # answers in the requests-vs-accepts window
OVERLOADED = 0.5  # share of refusals in that window that means "overloaded"
SHORT = 20  # answers in the short-term latency median
LONG = 100  # answers in the long-term latency median
TOLERANCE = 2.0  # short-term median may reach this multiple of the long-term one
PROBE = 50  # answers at the ceiling before probing one past it (~2% 429s at most)
PROBE_TRIPS = 4  # ... and at least this many round trips (fewer dips below a large ceiling)

# What a refusal was taken for: an echo of a level already left, our parallel limit (the
# ceiling), a refusal our parallelism does not explain (stray), most answers refused
# (overload), or a timeout.
Verdict = Literal["echo", "ceiling", "stray", "overload", "timeout"]


class AdaptiveLimit:
    """The controller alone: plain numbers in, a level out (no threads, no clock), so it can
    be tested and simulated directly. `AdaptiveThrottle` feeds it from the gate."""

    def __init__(self, maximum: int, start: int = START) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(max(1, min(start, self.maximum)))
        self.slow_start = True
        self.ceiling: int | None = None  # the parallel limit, as learnt from a 429
        self.proven = 0  # the highest level held for a round trip without a refusal
        self.step = 1.0  # growth per round trip outside slow start
        self.peak = self.limit
        self.lowest = self.limit
        self.decreases = 0
        self._round_start = 0  # tickets up to this one were sent before the last decrease
        self._window = 0  # answers counted towards the current round trip
        self._streak = 0  # successes in a row (towards `proven`) ...
        self._streak_low = self.level  # ... and the lowest level during them
        self._held = 0  # answers at the ceiling since it was learnt
        self._regain: float | None = None  # level to win back fast after a stray 429
        self._refusals: deque[bool] = deque(maxlen=RECENT)  # True: 429 or timeout
        self._short: deque[float] = deque(maxlen=SHORT)
        self._long: deque[float] = deque(maxlen=LONG)

    @property
    def level(self) -> int:
        return max(1, int(self.limit))

    # -- signals ---------------------------------------------------------------------------
    def answered(
        self, ticket: int | None, in_flight: int, rtt: float | None, level: int | None = None
    ) -> None:
        """A count came back (200). `in_flight`: our requests in flight when it was sent,
        itself included; `rtt`: seconds from send to answer; `level`: the level then."""
        self._refusals.append(False)
        if rtt is not None:
            self._short.append(rtt)
            self._long.append(rtt)
        if 2 * in_flight < self.level:
            return  # the level was not what held us back: no evidence for more
        full = in_flight >= (level or self.level)  # sent with every slot in use
        if full:
            self._prove(level or self.level)
        if ticket is not None and ticket <= self._round_start:
            return  # sent at the level before the last decrease
        if not self.latency_holds():
            # hold, not end slow start as HyStart would: at this API's spread a chance rise
            # is rare but not negligible over a long run, and ending slow start for good
            # would cost more than pausing it for an answer
            return
        if self.slow_start:
            # +2 per answer: x3 per round trip (TCP doubles). A round trip is 5-60 s here,
            # and an overshoot is cheap: 429s come back at once, long before the counts
            self._set(self.limit + SLOW_START_STEP)
            return
        if self._regain is not None:
            if self.limit < self._regain:
                self._set(min(self._regain, self.limit + 1))
                return
            self._regain = None
        if not full:
            # slow start and regain above only need half the slots in use (Netflix AIMD's
            # rule: sends lag a fast-rising level); probing for more needs them all, or rows
            # waiting out a retry would let the level drift up past a limit unseen
            return
        if self.ceiling is not None and self.limit >= self.ceiling:
            self._held += 1
            if self.limit < self.ceiling + 1 and self._held < self._hold():
                return  # at the known ceiling: wait before probing past it
        self._set(self.limit + self.step / self.limit)
        self._window += 1
        if self._window >= self.level:  # a round trip without a refusal
            self._window = 0
            if self.ceiling is not None and self.proven > self.ceiling:
                self.ceiling = None  # held past it for a round trip: the limit went up
            if self.ceiling is None:
                self.step = min(self.step * 2, float(self.maximum))

    def refused(
        self, ticket: int | None, level: int, issued: int, timed_out: bool = False
    ) -> Verdict:
        """A 429 (or, with `timed_out`, no answer in time) for a request sent while the
        level was `level`. `issued`: tickets handed out so far (the next round starts after
        them). Returns what it was taken for; all but an echo lowered the level."""
        self._refusals.append(True)
        if ticket is not None and ticket <= self._round_start:
            return "echo"  # of a level already left: backed off for already
        self._streak, self._streak_low = 0, self.level
        refusals = sum(self._refusals)
        overloaded = len(self._refusals) >= RECENT // 2 and refusals >= OVERLOADED * len(
            self._refusals
        )
        base, regain = self.limit, None
        verdict: Verdict
        if overloaded:
            verdict = "overload"  # refusing most of what we send: no ceiling to learn
            self.ceiling, self.proven = None, 0
        elif timed_out:
            verdict = "timeout"  # overload on a server that queues; no bound on the limit
        elif level > self.proven and (self.ceiling is None or level > self.ceiling):
            # above every level that has held: the server's parallel limit is below `level`,
            # and not below what has held
            verdict = "ceiling"
            self.ceiling = max(self.proven, level - 1, 1)
            self.proven = min(self.proven, self.ceiling)
            self._held = 0
            base = float(self.ceiling)
        else:
            # at a level that has held before, or under the ceiling: not our parallelism (a
            # refusal at random, load elsewhere), so back off, then win the level back
            # quickly. But the limit may have dropped: a stray lowers what has held to just
            # below its level, so that another one there counts as a ceiling; a round trip
            # with every slot in use and no refusal restores it
            verdict = "stray"
            self.ceiling = None  # refused under it: more than a parallel limit at work
            self.proven = min(self.proven, level) - 1
            regain = max(self.limit, self._regain or 0.0)
        self._regain = regain
        self.slow_start = False
        self._set(base * (OVERLOAD_BACKOFF if overloaded else BACKOFF))
        self.step = 1.0
        self._window = 0
        self._round_start = issued
        self.decreases += 1
        return verdict

    # -- helpers ---------------------------------------------------------------------------
    def _prove(self, level: int) -> None:
        """Count a success sent with all `level` slots in use towards `proven`: a round
        trip's worth of them (as many as the lowest such level) without a refusal between
        shows the server takes that many at once."""
        self._streak += 1
        self._streak_low = min(self._streak_low, level)
        if self._streak >= self._streak_low:
            self.proven = max(self.proven, self._streak_low)
            self._streak, self._streak_low = 0, self.level

    def latency_holds(self) -> bool:
        if len(self._long) < 2 * SHORT:
            return True  # too few answers to tell
        return statistics.median(self._short) <= TOLERANCE * statistics.median(self._long)

    def _hold(self) -> int:
        # each probe past a real ceiling costs about one 429: 50 answers between probes keep
        # them near 2% at any ceiling; a large one waits a few round trips more, which also
        # spaces out the dips to ceiling x 0.9 that follow each probe
        return max(PROBE, PROBE_TRIPS * (self.ceiling or 1))

    def _set(self, limit: float) -> None:
        self.limit = min(float(self.maximum), max(1.0, limit))
        self.peak = max(self.peak, self.limit)
        self.lowest = min(self.lowest, self.limit)


class AdaptiveThrottle(Gate):
    """The gate for `--concurrency auto`: its level is `AdaptiveLimit`'s, fed with each
    request's in-flight count at send, its latency and its outcome."""

    def __init__(
        self,
        maximum: int,
        start: int = START,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock)
        self.control = AdaptiveLimit(maximum, start)
        # ticket -> (sent at, requests in flight then (itself included), level then)
        self._sends: dict[int, tuple[float, int, int]] = {}

    @property
    def level(self) -> int:
        return self.control.level

    @property
    def capacity(self) -> int:
        return self.control.maximum

    def _sent(self, ticket: int) -> None:
        self._sends[ticket] = (self._clock(), self.in_flight, self.level)

    def _answered(
        self, ok: bool, rate_limited: bool, timed_out: bool, answered: bool, ticket: int | None
    ) -> bool:
        sent = self._sends.pop(ticket, None) if ticket is not None else None
        in_flight, level = (sent[1], sent[2]) if sent else (self.in_flight + 1, self.level)
        if rate_limited or timed_out:
            verdict = self.control.refused(ticket, level, self._issued, timed_out=timed_out)
            # Retry-After on a 429 that only says we reached the server's parallel limit (or
            # echoes it): the refused request waits it out (the client does), the others go
            # on under the lowered level; idling every worker would waste the slots the
            # server still offers. On any other refusal the server sheds load: all pause.
            return verdict not in ("ceiling", "echo")
        if answered:
            rtt = self._clock() - sent[0] if sent else None
            self.control.answered(ticket, in_flight, rtt, level)
        # anything else (5xx, a refused segment, a network error, nothing sent) says nothing
        # about how many requests the server takes at once
        return True


def make_throttle(concurrency: int | str, max_concurrency: int) -> Gate:
    """The gate for a run: adaptive for "auto", else today's fixed window."""
    if concurrency == "auto":
        return AdaptiveThrottle(max_concurrency)
    return Throttle(int(concurrency))
