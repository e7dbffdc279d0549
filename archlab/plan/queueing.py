"""M/M/c with Erlang C: how many servers keep the p99 of the response time within a budget.

The plan's queueing model, chosen over a simulation because it is a closed formula a student can
check by hand: Poisson arrivals at rate `arrivals_per_s`, `servers` identical servers each taking an
exponentially distributed service time of mean `service_s`, one shared first-come-first-served queue.
A real front is neither Poisson nor exponential; the report prints the plan's error against the
measured runs for that reason.
"""

from __future__ import annotations

import math

P99 = 0.99
MAX_SERVERS = 10_000_000


def erlang_c(servers: int, offered_load: float) -> float:
    """The probability that an arriving request waits (Erlang C), for `offered_load` = lambda / mu
    Erlangs on `servers` servers; 1.0 when the servers cannot keep up (load >= servers).

    Computed from the Erlang B recursion, which stays finite for thousands of servers where the
    textbook factorials overflow.
    """
    if servers < 1:
        raise ValueError(f"servers={servers}: expected at least 1")
    if offered_load < 0:
        raise ValueError(f"offered_load={offered_load}: expected 0 or more")
    if offered_load >= servers:
        return 1.0
    blocking = 1.0  # Erlang B with 0 servers
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    utilisation = offered_load / servers
    return blocking / (1 - utilisation + utilisation * blocking)


def response_time_exceeds(t_s: float, servers: int, arrivals_per_s: float, service_s: float) -> float:
    """P(response time > t): the wait (none with probability 1 - C, else exponential at rate
    c*mu - lambda) plus the exponential service time."""
    return _exceeds(t_s, servers, arrivals_per_s, service_s, erlang_c(servers, arrivals_per_s * service_s))


def _exceeds(t_s: float, servers: int, arrivals_per_s: float, service_s: float, waits: float) -> float:
    mu = 1.0 / service_s
    if waits >= 1.0:
        return 1.0
    drain = servers * mu - arrivals_per_s  # rate at which the queue empties
    served = math.exp(-mu * t_s)
    if math.isclose(drain, mu):
        both = (1 + mu * t_s) * served
    else:
        both = (drain * served - mu * math.exp(-drain * t_s)) / (drain - mu)
    return (1 - waits) * served + waits * both


def response_time_quantile(servers: int, arrivals_per_s: float, service_s: float, q: float = P99) -> float:
    """The q-quantile of the response time in seconds (inf when the servers cannot keep up)."""
    if arrivals_per_s * service_s >= servers:
        return math.inf
    waits = erlang_c(servers, arrivals_per_s * service_s)
    low, high = 0.0, service_s
    while _exceeds(high, servers, arrivals_per_s, service_s, waits) > 1 - q:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        if _exceeds(middle, servers, arrivals_per_s, service_s, waits) > 1 - q:
            low = middle
        else:
            high = middle
    return high


def servers_for_budget(arrivals_per_s: float, service_s: float, budget_s: float, q: float = P99) -> int | None:
    """The fewest servers whose q-quantile response time is within `budget_s`; None when no number
    of servers can (the service time alone exceeds it: -ln(1-q) * mean for an exponential)."""
    if -math.log(1 - q) * service_s > budget_s:
        return None
    servers = max(1, math.floor(arrivals_per_s * service_s) + 1)
    step = 1
    while response_time_quantile(servers, arrivals_per_s, service_s, q) > budget_s:  # gallop, then bisect
        servers += step
        step *= 2
        if servers > MAX_SERVERS:
            return None
    low = max(1, servers - step // 2)
    while low < servers:
        middle = (low + servers) // 2
        if response_time_quantile(middle, arrivals_per_s, service_s, q) <= budget_s:
            servers = middle
        else:
            low = middle + 1
    return servers
